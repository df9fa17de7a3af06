from __future__ import annotations

from django import forms

from delivery.portal.models import Decision


class EmailEditForm(forms.Form):
    subject = forms.CharField(label="Objet", max_length=250)
    body_text = forms.CharField(label="Texte", widget=forms.Textarea(attrs={"rows": 16}))


class AnnouncementForm(EmailEditForm):
    contacts = forms.MultipleChoiceField(label="Destinataires", widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacts"].choices = [(str(c.pk), f"{c.name} <{c.email}>") for c in contacts]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices)
    signer_name = forms.CharField(label="Votre nom complet", max_length=200, required=False)
    consent = forms.BooleanField(required=False)
    pv_number = forms.IntegerField(required=False, min_value=1)
    comment = forms.CharField(label="Vos retours", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
