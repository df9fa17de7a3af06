"""The delivery's timeline: append-only (DESIGN.md §Security)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from projects.evidence import AppendOnlyModel
from projects.vocabulary import Stage


class HistoryKind(models.TextChoices):
    CREATED = "created", "Création"
    TRANSITION = "transition", "Changement d'étape"
    TICK = "tick", "Point coché"
    UNTICK = "untick", "Point décoché"
    WAIVER = "waiver", "Exception documentée"
    RULE_WAIVER = "rule_waiver", "Exception à une règle"
    SCOPE_CHANGE = "scope_change", "Changement de périmètre"
    CHANGE_REQUEST = "change_request", "Avenant / devis"
    QUALIFICATION = "qualification", "Grille de qualification"
    RECETTE = "recette", "Recette"
    PV = "pv", "PV de recette"
    VALIDATION = "validation", "Validation client"
    EMAIL = "email", "E-mail"
    PROBE = "probe", "Vérification automatique"
    ROLLOUT = "rollout", "Déploiement progressif"
    FOLLOW_UP = "follow_up", "Suivi J+7"
    NOTE = "note", "Note"


class HistoryEntry(AppendOnlyModel):
    delivery = models.ForeignKey("delivery.Delivery", on_delete=models.PROTECT, related_name="history")
    at = models.DateTimeField("le", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="par"
    )
    kind = models.CharField("type", max_length=20, choices=HistoryKind.choices)
    summary = models.CharField("résumé", max_length=300)
    note = models.TextField("note", blank=True)
    from_stage = models.CharField("de", max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField("vers", max_length=20, choices=Stage.choices, blank=True)
    data = models.JSONField("détails", default=dict, blank=True)

    class Meta:
        verbose_name = "entrée d'historique"
        verbose_name_plural = "historique"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return self.summary
