"""Talking to people: email templates and the outbox."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class EmailTemplate(models.Model):
    """A message the app sends, editable in the admin. Bodies are Django templates."""

    key = models.SlugField("clé", max_length=60, unique=True)
    name = models.CharField("nom", max_length=200)
    client_facing = models.BooleanField("destiné au client", default=True, help_text="Soumis au guide de ton (R20).")
    subject = models.CharField("objet", max_length=250)
    body_text = models.TextField("corps (texte)")
    body_html = models.TextField("corps (HTML)", blank=True)
    variables = models.CharField("variables disponibles", max_length=500, blank=True)

    class Meta:
        verbose_name = "modèle d'e-mail"
        verbose_name_plural = "modèles d'e-mail"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OutboundMessage(models.Model):
    """One email, stored before it is sent; the send task delivers it at most once."""

    class Status(models.TextChoices):
        QUEUED = "queued", "En file"
        SENDING = "sending", "En cours d'envoi"
        SENT = "sent", "Envoyé"
        FAILED = "failed", "Échec définitif"

    delivery = models.ForeignKey(
        "delivery.Delivery", null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    template_key = models.CharField("modèle", max_length=60, blank=True)
    client_facing = models.BooleanField("destiné au client", default=False)
    to = models.JSONField("destinataires", default=list)
    cc = models.JSONField("copie", default=list, blank=True)
    subject = models.CharField("objet", max_length=250)
    body_text = models.TextField("corps (texte)")
    body_html = models.TextField("corps (HTML)", blank=True)
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    last_error = models.TextField("dernière erreur", blank=True)
    next_attempt_at = models.DateTimeField("prochaine tentative", default=timezone.now, db_index=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "e-mail"
        verbose_name_plural = "boîte d'envoi"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"
