from django import forms
from django.contrib import admin
from django.template import Template, TemplateSyntaxError

from communications import tone
from communications.models import Document, EmailTemplate, OutboundMessage, ToneRule


class EmailTemplateForm(forms.ModelForm):
    """A template that does not compile would break every email of its kind: refuse it here."""

    class Meta:
        model = EmailTemplate
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        for name in ("subject", "body_text", "body_html"):
            try:
                Template(cleaned.get(name) or "")
            except TemplateSyntaxError as exc:
                self.add_error(name, f"Syntaxe de modèle invalide : {exc}")
        return cleaned


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    form = EmailTemplateForm
    list_display = ("name", "key", "client_facing", "tone")
    search_fields = ("name", "key", "subject")
    readonly_fields = ("tone_report",)

    @admin.display(description="guide de ton")
    def tone(self, obj: EmailTemplate) -> str:
        if not obj.client_facing:
            return "—"
        found = tone.check_email(subject=obj.subject, body=obj.body_text)
        return "respecté" if not found else f"{len(found)} expression(s) à reformuler"

    @admin.display(description="guide de ton (R20)")
    def tone_report(self, obj: EmailTemplate) -> str:
        if obj.pk is None or not obj.client_facing:
            return "—"
        found = tone.check_email(subject=obj.subject, body=obj.body_text)
        if not found:
            return "Aucune expression à éviter."
        return " ; ".join(f"« {w.found} » → {w.suggestion}" for w in found)


@admin.register(ToneRule)
class ToneRuleAdmin(admin.ModelAdmin):
    list_display = ("label", "suggestion", "is_active")
    list_filter = ("is_active",)
    search_fields = ("label", "variants", "suggestion")


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ("subject", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "client_facing")
    search_fields = ("subject",)
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]

    def has_add_permission(self, request):  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "delivery", "created_at")
    list_filter = ("kind",)
    readonly_fields = [f.name for f in Document._meta.fields]

    def has_add_permission(self, request):  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001
        return False
