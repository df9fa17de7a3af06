"""Talking to people: email templates and the outbox."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from projects.evidence import AppendOnlyModel


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
        CANCELLED = "cancelled", "Annulé"

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
    archive_pdf = models.BooleanField(
        "archiver en PDF", default=False, help_text="Une copie PDF est gardée avec la livraison une fois envoyé."
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "e-mail"
        verbose_name_plural = "boîte d'envoi"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"


class ToneRule(models.Model):
    """One expression to avoid in client emails and the wording to prefer (R20, seed 004)."""

    label = models.CharField("expression à éviter", max_length=120)
    variants = models.TextField(
        "formes repérées",
        help_text=(
            "Une forme par ligne. La recherche ignore majuscules et accents et porte sur des mots entiers "
            "(« retard » ne repère pas « retardataire »)."
        ),
    )
    suggestion = models.CharField("à privilégier", max_length=250)
    explanation = models.CharField("pourquoi", max_length=300, blank=True)
    is_active = models.BooleanField("active", default=True)

    class Meta:
        verbose_name = "règle du guide de ton"
        verbose_name_plural = "guide de ton"
        ordering = ["label"]

    def __str__(self) -> str:
        return f"{self.label} → {self.suggestion}"

    @property
    def variant_list(self) -> list[str]:
        return [line.strip() for line in self.variants.splitlines() if line.strip()]


def document_upload_to(instance: Document, filename: str) -> str:
    return f"documents/{instance.delivery_id or 'divers'}/{filename}"


class Document(AppendOnlyModel):
    """A file kept with a delivery as a record: a sent email as PDF, a validation
    certificate, a signed PV copy. Never changed once written; its SHA-256 proves it."""

    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail envoyé"
        CERTIFICATE = "certificate", "Certificat de validation"
        SIGNED_PV = "signed_pv", "PV signé"

    delivery = models.ForeignKey(
        "delivery.Delivery", null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    title = models.CharField("titre", max_length=250)
    file = models.FileField("fichier", upload_to=document_upload_to)
    sha256 = models.CharField("SHA-256", max_length=64)
    message = models.OneToOneField(
        OutboundMessage, null=True, blank=True, on_delete=models.PROTECT, related_name="archive", verbose_name="e-mail"
    )
    created_at = models.DateTimeField("archivé le", default=timezone.now)

    class Meta:
        verbose_name = "document"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title
