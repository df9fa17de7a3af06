"""Scope changes (R5, R6) and documented exceptions to process rules (R9)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from projects.evidence import AppendOnlyModel


class ChangeRequest(models.Model):
    """An avenant or devis: the only way to change the scope after cadrage (R5)."""

    class Kind(models.TextChoices):
        AVENANT = "avenant", "Avenant"
        DEVIS = "devis", "Devis"

    class Status(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        SENT = "sent", "Envoyé au client"
        ACCEPTED = "accepted", "Accepté"
        REFUSED = "refused", "Refusé"

    delivery = models.ForeignKey(
        "delivery.Delivery", on_delete=models.PROTECT, related_name="change_requests", verbose_name="livraison"
    )
    title = models.CharField("intitulé", max_length=200)
    kind = models.CharField("type", max_length=10, choices=Kind.choices, default=Kind.AVENANT)
    amount = models.DecimalField("montant HT (€)", max_digits=10, decimal_places=2, null=True, blank=True)
    description = models.TextField("description", blank=True)
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    decided_at = models.DateTimeField("décidé le", null=True, blank=True)

    class Meta:
        verbose_name = "avenant / devis"
        verbose_name_plural = "avenants / devis"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.title}"


class RuleWaiver(AppendOnlyModel):
    """A documented exception to a process rule for one delivery (R9): who, when, why.

    A gate blocker whose code has a waiver for the delivery no longer blocks; the
    transition records which waivers it relied on.
    """

    delivery = models.ForeignKey(
        "delivery.Delivery", on_delete=models.PROTECT, related_name="rule_waivers", verbose_name="livraison"
    )
    code = models.CharField("règle", max_length=40)
    stage = models.CharField("étape", max_length=20)
    justification = models.TextField("justification")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "exception documentée"
        verbose_name_plural = "exceptions documentées"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.code} — {self.justification[:60]}"
