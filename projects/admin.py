from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from projects.models import CategoryPolicy, Client, ClientContact, Module, Partner, Project, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("Jalon", {"fields": ("role", "partner")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, ("Jalon", {"fields": ("role", "partner")}))
    list_display = ("username", "get_full_name", "email", "role", "partner", "is_active", "is_staff")
    list_filter = ("role", "partner", "is_active", "is_staff")


class ClientContactInline(admin.TabularInline):
    model = ClientContact
    extra = 1


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    inlines = [ClientContactInline]
    search_fields = ("name", "contacts__name", "contacts__email")
    list_display = ("name", "created_at")


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "phone")
    search_fields = ("name",)


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_active")
    list_editable = ("is_active",)
    prepopulated_fields = {"code": ("name",)}


@admin.register(CategoryPolicy)
class CategoryPolicyAdmin(admin.ModelAdmin):
    list_display = ("category", "description", "max_feedback_cycles", "pv_min_ok_rate", "pv_max_blocking", "canary_expected")
    list_editable = ("max_feedback_cycles", "pv_min_ok_rate", "pv_max_blocking", "canary_expected")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "client", "pm", "partner", "hosting_compatible", "maintenance_plan")
    list_filter = ("partner", "pm", "maintenance_plan")
    search_fields = ("name", "client__name")
    list_select_related = ("client", "pm", "partner")
