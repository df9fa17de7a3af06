from __future__ import annotations

from django import forms

from delivery.recette.models import Anomaly, AnomalyStatus, Environment, Priority, RecetteCase, RunKind, Severity
from projects.models import Module


class CaseForm(forms.ModelForm):
    class Meta:
        model = RecetteCase
        fields = ["reference", "title", "steps", "expected", "module", "priority"]
        widgets = {"steps": forms.Textarea(attrs={"rows": 4}), "expected": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"reference": "Unique dans ce cahier, par exemple CR-001."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = Module.objects.filter(is_active=True)
        self.fields["module"].empty_label = "— aucun —"

    def validate_unique(self):
        # The delivery is not a form field: the service checks the reference's uniqueness.
        pass


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Fichier CSV",
        help_text="UTF-8, séparateur « ; » ou « , ». Colonnes : reference ; titre ; etapes ; resultat_attendu ; module ; priorite.",
    )


class CopyForm(forms.Form):
    source = forms.TypedChoiceField(label="Copier le cahier de", coerce=int)

    def __init__(self, *args, sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [(d.pk, f"{d.project.name} — {d.title} ({d.n_cases} cas)") for d in sources]


class RunForm(forms.Form):
    kind = forms.ChoiceField(label="Type", choices=RunKind.choices)
    environment = forms.ChoiceField(label="Environnement", choices=Environment.choices, initial=Environment.RECETTE)


class AnomalyForm(forms.ModelForm):
    class Meta:
        model = Anomaly
        fields = ["title", "severity", "description", "case", "client_visible"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, delivery, can_share: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = RecetteCase.objects.filter(delivery=delivery).order_by("reference")
        self.fields["case"].empty_label = "— aucun —"
        # No default: a blocking anomaly stops the delivery, so the tester chooses knowingly.
        self.fields["severity"].choices = [("", "— choisir —"), *Severity.choices]
        if not can_share:
            # Only the agency decides what the client sees (R13).
            del self.fields["client_visible"]

    def validate_unique(self):
        pass


class AnomalyStatusForm(forms.Form):
    status = forms.ChoiceField(label="Nouveau statut", choices=AnomalyStatus.choices)
    justification = forms.CharField(
        label="Justification",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Obligatoire pour laisser une anomalie bloquante non corrigée (exception documentée, R9).",
    )


class AnomalyFilterForm(forms.Form):
    gravite = forms.ChoiceField(label="Gravité", required=False, choices=[("", "Toutes"), *Severity.choices])
    statut = forms.ChoiceField(
        label="Statut", required=False, choices=[("", "Tous"), ("unresolved", "Non résolues"), *AnomalyStatus.choices]
    )
    visibilite = forms.ChoiceField(
        label="Visibilité", required=False, choices=[("", "Toutes"), ("client", "Visibles du client"), ("internal", "Internes")]
    )


class CaseFilterForm(forms.Form):
    priorite = forms.ChoiceField(label="Priorité", required=False, choices=[("", "Toutes"), *Priority.choices])
    q = forms.CharField(label="Rechercher", required=False)


class WaiverForm(forms.Form):
    justification = forms.CharField(label="Justification", widget=forms.Textarea(attrs={"rows": 3}), min_length=10)
