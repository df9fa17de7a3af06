from __future__ import annotations

from django import forms

from delivery.golive.models import RolloutSettings


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Motif", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class RolloutSettingsForm(forms.ModelForm):
    regenerate_secret = forms.BooleanField(label="Générer un nouveau secret de signature", required=False)

    class Meta:
        model = RolloutSettings
        fields = ["backend", "webhook_url", "metrics_url", "max_error_rate", "auto_advance"]
        widgets = {"backend": forms.RadioSelect}

    def clean(self):
        data = super().clean()
        if data.get("backend") == "webhook" and not data.get("webhook_url"):
            self.add_error("webhook_url", "Le mode webhook demande l'URL du webhook.")
        return data
