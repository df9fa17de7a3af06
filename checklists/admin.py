from django.contrib import admin

from checklists.models import ChecklistTemplate, DeliveryItem, TemplateItem


class TemplateItemInline(admin.TabularInline):
    model = TemplateItem
    extra = 1
    fields = ("position", "label", "help_text", "responsible", "required", "only_categories", "only_module")


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ("stage", "title")
    inlines = [TemplateItemInline]


@admin.register(DeliveryItem)
class DeliveryItemAdmin(admin.ModelAdmin):
    """Read-only: a delivery's checklist changes only through the app, which records history."""

    list_display = ("label", "delivery", "stage", "done", "waived")
    list_filter = ("stage", "done", "waived")
    search_fields = ("label", "delivery__project__name")

    def has_add_permission(self, request):  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001
        return False
