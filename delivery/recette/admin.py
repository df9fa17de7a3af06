from django.contrib import admin

from delivery.recette.models import Anomaly, PVVersion, RecetteCase, RecetteRun


@admin.register(RecetteCase)
class RecetteCaseAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "delivery", "priority", "module"]
    list_filter = ["priority"]
    search_fields = ["reference", "title", "delivery__title", "delivery__project__name"]
    raw_id_fields = ["delivery"]


@admin.register(RecetteRun)
class RecetteRunAdmin(admin.ModelAdmin):
    list_display = ["__str__", "delivery", "kind", "environment", "started_at"]
    list_filter = ["kind", "environment"]
    raw_id_fields = ["delivery"]


@admin.register(Anomaly)
class AnomalyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "delivery", "severity", "status", "client_visible"]
    list_filter = ["severity", "status", "client_visible"]
    raw_id_fields = ["delivery", "case", "run"]


@admin.register(PVVersion)
class PVVersionAdmin(admin.ModelAdmin):
    """Evidence: readable, never editable (the model refuses changes anyway)."""

    list_display = ["__str__", "delivery", "ok_rate", "created_at", "sha256"]
    readonly_fields = [f.name for f in PVVersion._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
