"""Forms of the delivery pages. They validate input; the services decide."""

from __future__ import annotations

from django import forms

from delivery.models import ChangeRequest, Delivery
from projects.forms import HostingSelect
from projects.models import Module, Project
from projects.vocabulary import PIPELINE, Category, Stage


class ModulesField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Module.objects.filter(is_active=True).order_by("name"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Modules du périmètre")
        super().__init__(**kwargs)

    def _check_values(self, value):
        # A forged id beyond the database's integer range is an unknown module, not a
        # crash: SQLite raises OverflowError on such an `__in` lookup.
        for pk in value:
            try:
                out_of_range = abs(int(str(pk).strip())) >= 2**63
            except ValueError:
                continue  # the parent says "invalid value" for it
            if out_of_range:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)


def planned_date_fields() -> dict[str, forms.DateField]:
    return {
        f"planned_{stage.value}": forms.DateField(
            label=stage.label, required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        )
        for stage in PIPELINE
    }


class PlannedDatesMixin:
    def planned_dates(self) -> dict[str, object]:
        return {stage.value: self.cleaned_data.get(f"planned_{stage.value}") for stage in PIPELINE}

    def planned_fields(self) -> list:
        return [self[f"planned_{stage.value}"] for stage in PIPELINE]

    def clean(self):
        cleaned = super().clean()
        previous = None
        for stage in PIPELINE:
            value = cleaned.get(f"planned_{stage.value}")
            if value and previous and value < previous[1]:
                self.add_error(
                    f"planned_{stage.value}",
                    f"Cette date précède celle de l'étape « {previous[0].label} » ({previous[1]:%d/%m/%Y}).",
                )
            if value:
                previous = (stage, value)
        return cleaned


class DeliveryCreateForm(PlannedDatesMixin, forms.Form):
    title = forms.CharField(label="Intitulé", max_length=200, help_text="Ex. « Création du site », « Refonte du catalogue ».")
    category = forms.TypedChoiceField(
        label="Catégorie",
        choices=[("", "À qualifier")] + list(Category.choices),
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Peut rester vide : elle est fixée pendant la qualification (R2).",
    )
    modules = ModulesField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(planned_date_fields())


class PlannedDatesForm(PlannedDatesMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(planned_date_fields())

    @classmethod
    def for_delivery(cls, delivery: Delivery, data=None) -> PlannedDatesForm:
        initial = {f"planned_{d.stage}": d.planned_date for d in delivery.stage_dates.all()}
        return cls(data=data, initial=initial)


class QualificationForm(forms.Form):
    """The qualification grid (R2): category, modules, maintenance, hosting (R3)."""

    category = forms.TypedChoiceField(
        label="Catégorie", choices=[("", "À définir")] + list(Category.choices), coerce=int, empty_value=None, required=False
    )
    modules = ModulesField()
    maintenance_plan = forms.ChoiceField(
        label="Contrat de maintenance",
        choices=Project.Maintenance.choices,
        required=False,
        help_text="Aucune livraison client sans contrat de maintenance (R4).",
    )
    hosting_provider = forms.CharField(label="Hébergeur", max_length=120, required=False)
    hosting_compatible = forms.NullBooleanField(
        label="Hébergement compatible",
        widget=HostingSelect,
        required=False,
        help_text="Pas de maintenance sans hébergement compatible (R3).",
    )
    change_request = forms.ModelChoiceField(
        label="Avenant ou devis accepté",
        queryset=ChangeRequest.objects.none(),
        required=False,
        empty_label="— Aucun —",
        help_text="Le périmètre est figé depuis le cadrage : un changement de catégorie ou de modules s'appuie sur un avenant ou un devis accepté (R5).",
    )

    def __init__(self, *args, delivery: Delivery, **kwargs):
        self.delivery = delivery
        project = delivery.project
        kwargs.setdefault(
            "initial",
            {
                "category": delivery.category,
                "modules": list(delivery.modules.all()),
                "maintenance_plan": project.maintenance_plan,
                "hosting_provider": project.hosting_provider,
                "hosting_compatible": project.hosting_compatible,
            },
        )
        super().__init__(*args, **kwargs)
        if delivery.frozen_scope is None:
            del self.fields["change_request"]
        else:
            self.fields["change_request"].queryset = delivery.change_requests.filter(status=ChangeRequest.Status.ACCEPTED)


class NoteForm(forms.Form):
    note = forms.CharField(label="Motif", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000)


class JustificationForm(forms.Form):
    justification = forms.CharField(
        label="Justification",
        min_length=10,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"min_length": "Justifiez l'exception en une phrase au moins (10 caractères).",
                        "required": "Une exception doit être justifiée par écrit (R9)."},
    )


class ChangeRequestForm(forms.ModelForm):
    class Meta:
        model = ChangeRequest
        fields = ["title", "kind", "amount", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class RequalifyForm(forms.Form):
    title = forms.CharField(
        label="Intitulé de la nouvelle livraison", max_length=200, help_text="Ex. « Ajout d'une boutique WooCommerce »."
    )
    note = forms.CharField(
        label="Demande du client",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Ce qui a été demandé et pourquoi c'est hors périmètre (R7).",
    )


STAGE_LABELS = {stage.value: stage.label for stage in Stage}
