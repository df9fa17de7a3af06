from django.contrib import admin

from delivery.portal.models import ClientValidation, PortalLink


@admin.register(ClientValidation)
class ClientValidationAdmin(admin.ModelAdmin):
    """Evidence: readable, never added, changed or deleted here."""

    list_display = ("delivery", "decision", "signer_name", "sent_to", "pv_number", "signed_at")
    list_filter = ("decision",)
    search_fields = ("signer_name", "sent_to", "record_hash")
    readonly_fields = [f.name for f in ClientValidation._meta.fields]

    def has_add_permission(self, request):  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001
        return False


@admin.register(PortalLink)
class PortalLinkAdmin(admin.ModelAdmin):
    """Links are made by the validation request and revoked from the delivery page."""

    list_display = ("sent_to", "delivery", "created_at", "expires_at", "revoked_at", "used_at")
    readonly_fields = [f.name for f in PortalLink._meta.fields]

    def has_add_permission(self, request):  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001
        return False
