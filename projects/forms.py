"""Forms for the agency's records: clients with their contacts, projects."""

from __future__ import annotations

from django import forms
from django.db import models

from projects.models import Client, ClientContact, Project, User

HOSTING_CHOICES = [("unknown", "Non vérifiée"), ("true", "Oui, compatible"), ("false", "Non compatible")]


class HostingSelect(forms.NullBooleanSelect):
    """NullBooleanSelect renders True/False as "true"/"false"; a plain Select would render
    "True", match no option, show « Non vérifiée » and erase the answer on the next save."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = HOSTING_CHOICES


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = ["name", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class ContactForm(forms.ModelForm):
    class Meta:
        model = ClientContact
        fields = ["name", "email", "role", "is_primary"]


class BaseContactFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()  # Django already reports duplicate e-mails (unique per client)
        primaries = sum(
            1
            for form in self.forms
            if getattr(form, "cleaned_data", None) and form.cleaned_data.get("is_primary")
        )
        if primaries > 1:
            raise forms.ValidationError("Un seul contact principal par client.")


ContactFormSet = forms.inlineformset_factory(
    Client, ClientContact, form=ContactForm, formset=BaseContactFormSet, extra=3, can_delete=False
)


def _https_urls(field: models.Field, **kwargs) -> forms.Field | None:
    """A URL typed without a scheme is taken as https://, the only kind we host."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class ProjectForm(forms.ModelForm):
    hosting_compatible = forms.NullBooleanField(
        label="Hébergement compatible",
        widget=HostingSelect,
        required=False,
        help_text="Pas de maintenance sans hébergement compatible (R3).",
    )

    class Meta:
        model = Project
        fields = [
            "name",
            "client",
            "pm",
            "partner",
            "hosting_provider",
            "hosting_compatible",
            "maintenance_plan",
            "preprod_url",
            "production_url",
            "backoffice_url",
            "internal_notes",
        ]
        widgets = {"internal_notes": forms.Textarea(attrs={"rows": 3})}
        formfield_callback = _https_urls

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pm"].queryset = User.objects.filter(role=User.Role.AGENCY, is_active=True).order_by("first_name", "username")
        self.fields["pm"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["partner"].empty_label = "— Aucun pour l'instant —"
        self.fields["client"].empty_label = "— Choisir —"
        self.fields["pm"].empty_label = "— Choisir —"
        if self.instance.pk:
            # After creation these belong to the qualification grid, which records them in the history.
            for name in ("hosting_provider", "hosting_compatible", "maintenance_plan"):
                del self.fields[name]

    def clean(self):
        cleaned = super().clean()
        client, name = cleaned.get("client"), cleaned.get("name")
        if client and name:
            clash = Project.objects.filter(client=client, name__iexact=name.strip())
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("name", "Ce client a déjà un projet de ce nom.")
        return cleaned
