"""Portal links (how a client without an account reaches the portal) and the client's
written validation, kept as evidence (R10, seed 004)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from projects.evidence import AppendOnlyModel


class PortalLink(models.Model):
    """One personal link per delivery and client contact.

    Only the SHA-256 of the token is stored. The token itself is drawn when the email
    leaves the outbox (see services.link_issue_for_message), so it exists only in the
    client's mailbox. A GET never consumes a link (mail scanners open links); the
    signing POST acts once (`used_at`).
    """

    class State(models.TextChoices):
        PENDING = "pending", "En cours d'envoi"
        ACTIVE = "active", "Actif"
        USED = "used", "Utilisé"
        EXPIRED = "expired", "Expiré"
        REVOKED = "revoked", "Révoqué"

    delivery = models.ForeignKey(
        "delivery.Delivery", on_delete=models.PROTECT, related_name="portal_links", verbose_name="livraison"
    )
    contact = models.ForeignKey(
        "projects.ClientContact", on_delete=models.PROTECT, related_name="portal_links", verbose_name="contact"
    )
    sent_to = models.EmailField("envoyé à")
    token_hash = models.CharField("empreinte du jeton (SHA-256)", max_length=64, unique=True, null=True, editable=False)
    message = models.OneToOneField(
        "communications.OutboundMessage",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="portal_link",
        verbose_name="e-mail",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    issued_at = models.DateTimeField("envoyé le", null=True, blank=True)
    expires_at = models.DateTimeField("expire le", null=True, blank=True)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    used_at = models.DateTimeField("utilisé le", null=True, blank=True)
    last_opened_at = models.DateTimeField("dernière ouverture", null=True, blank=True)

    class Meta:
        verbose_name = "lien du portail client"
        verbose_name_plural = "liens du portail client"
        ordering = ["-created_at", "-id"]
        constraints = [
            # "Resend" revokes the previous link first: one live link per contact and delivery.
            models.UniqueConstraint(
                fields=["delivery", "contact"],
                condition=Q(revoked_at__isnull=True, used_at__isnull=True),
                name="one_live_portal_link_per_contact",
            )
        ]

    def __str__(self) -> str:
        return f"Lien n°{self.pk} — {self.sent_to}"

    def state_at(self, now=None) -> str:
        now = now or timezone.now()
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.used_at is not None:
            return self.State.USED
        if self.token_hash is None:
            return self.State.PENDING
        if self.expires_at is not None and self.expires_at <= now:
            return self.State.EXPIRED
        return self.State.ACTIVE

    @property
    def state(self) -> str:
        return self.state_at()

    def get_state_display(self) -> str:
        return self.State(self.state).label

    @property
    def is_open(self) -> bool:
        """The client may still act with it (view and sign)."""
        return self.state == self.State.ACTIVE


class Decision(models.TextChoices):
    VALIDATED = "validated", "Validation"
    DECLINED = "declined", "Refus avec retours"


class ClientValidation(AppendOnlyModel):
    """The client's written decision on the current PV, as evidence.

    Every field is written once. `record_hash` is the SHA-256 of the canonical
    serialization of the record (services.canonical_bytes) including `previous_hash`,
    the record_hash of the delivery's previous validation record: altering or removing
    one record breaks every later hash (services.recompute_chain).
    """

    delivery = models.ForeignKey(
        "delivery.Delivery", on_delete=models.PROTECT, related_name="client_validations", verbose_name="livraison"
    )
    contact = models.ForeignKey(
        "projects.ClientContact", on_delete=models.PROTECT, related_name="validations", verbose_name="contact"
    )
    link = models.OneToOneField(
        PortalLink, on_delete=models.PROTECT, related_name="validation", verbose_name="lien utilisé"
    )
    sent_to = models.EmailField("adresse du lien")
    signer_name = models.CharField("nom saisi", max_length=200, blank=True)
    decision = models.CharField("décision", max_length=10, choices=Decision.choices)
    comment = models.TextField("commentaire", blank=True)
    statement = models.TextField("déclaration")
    statement_sha256 = models.CharField("SHA-256 de la déclaration", max_length=64)
    pv_version = models.ForeignKey(
        "recette.PVVersion", on_delete=models.PROTECT, related_name="client_validations", verbose_name="PV"
    )
    pv_number = models.PositiveIntegerField("version du PV")
    pv_sha256 = models.CharField("SHA-256 du PV", max_length=64)
    signed_at = models.DateTimeField("horodatage serveur (UTC)")
    ip_address = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    user_agent = models.CharField("navigateur", max_length=500, blank=True)
    signed_pv = models.OneToOneField(
        "communications.Document",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signed_validation",
        verbose_name="PV signé",
    )
    signed_pv_sha256 = models.CharField("SHA-256 du PV signé", max_length=64, blank=True)
    certificate = models.OneToOneField(
        "communications.Document",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="validation",
        verbose_name="certificat",
    )
    previous_hash = models.CharField("empreinte précédente", max_length=64, blank=True)
    record_hash = models.CharField("empreinte de l'enregistrement", max_length=64, unique=True)

    class Meta:
        verbose_name = "validation client"
        verbose_name_plural = "validations client"
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} — {self.signer_name or self.sent_to} ({self.signed_at:%d/%m/%Y})"

    @property
    def is_validated(self) -> bool:
        return self.decision == Decision.VALIDATED
