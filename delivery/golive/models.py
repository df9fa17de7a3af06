"""Go-live: probes of the production site, the J+7 follow-up and the canary rollout.

Every due time lives in a column here (`due_at`, `escalate_at`, `observe_until`,
`next_attempt_at`); the sweep reads them, never the broker (DESIGN.md §Scheduling).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from projects.evidence import AppendOnlyModel

DEFAULT_PLAN: tuple[tuple[int, int], ...] = ((5, 48), (20, 24), (50, 24), (100, 0))
"""R16 (seed 001): traffic share (%) and observation window (hours) of each step."""


def new_webhook_secret() -> str:
    return secrets.token_hex(32)


class TrafficBackend(models.TextChoices):
    MANUAL = "manual", "Manuel (le partenaire règle la part de trafic)"
    WEBHOOK = "webhook", "Webhook signé (HMAC-SHA256)"


class RolloutSettings(models.Model):
    """How a project's traffic is switched and watched during a canary rollout."""

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="rollout_settings", verbose_name="projet"
    )
    backend = models.CharField("pilotage du trafic", max_length=10, choices=TrafficBackend.choices, default=TrafficBackend.MANUAL)
    webhook_url = models.URLField("URL du webhook", blank=True, max_length=500)
    webhook_secret = models.CharField("secret de signature", max_length=128, default=new_webhook_secret)
    metrics_url = models.URLField(
        "URL des métriques", blank=True, max_length=500,
        help_text='Répond en JSON : {"error_rate": 0.012} (proportion) ou {"errors": 12, "requests": 1000}.',
    )
    max_error_rate = models.DecimalField(
        "taux d'erreur maximum (%)", max_digits=5, decimal_places=2, default=Decimal("2.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    auto_advance = models.BooleanField("avancer automatiquement quand l'étape est saine", default=False)

    class Meta:
        verbose_name = "réglages du déploiement progressif"
        verbose_name_plural = "réglages du déploiement progressif"

    def __str__(self) -> str:
        return f"Déploiement — {self.project}"


class Probe(AppendOnlyModel):
    """One HTTP check of the production URL: evidence for « Site accessible » / « HTTPS OK » (R11)."""

    class Purpose(models.TextChoices):
        GO_LIVE = "go_live", "Vérification de mise en ligne"
        HEALTH = "health", "Contrôle de santé (déploiement)"

    delivery = models.ForeignKey("delivery.Delivery", on_delete=models.PROTECT, related_name="probes")
    purpose = models.CharField("objet", max_length=10, choices=Purpose.choices, default=Purpose.GO_LIVE)
    url = models.CharField("URL", max_length=500)
    final_url = models.CharField("URL finale", max_length=500, blank=True)
    checked_at = models.DateTimeField("le", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reachable = models.BooleanField("site accessible", default=False)
    status_code = models.PositiveSmallIntegerField("code HTTP", null=True, blank=True)
    response_ms = models.PositiveIntegerField("temps de réponse (ms)", null=True, blank=True)
    https = models.BooleanField("HTTPS", default=False)
    tls_valid = models.BooleanField("certificat valide", null=True, blank=True)
    tls_expires_at = models.DateTimeField("certificat valable jusqu'au", null=True, blank=True)
    tls_days_left = models.IntegerField("jours restants", null=True, blank=True)
    error = models.CharField("erreur", max_length=500, blank=True)

    class Meta:
        verbose_name = "vérification HTTP"
        verbose_name_plural = "vérifications HTTP"
        ordering = ["-checked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.url} — {self.status_code or self.error}"

    @property
    def https_ok(self) -> bool:
        return self.reachable and self.https and bool(self.tls_valid) and (self.tls_days_left or 0) > 0


class FollowUp(models.Model):
    """The J+7 follow-up of one delivery (R12): due on the 7th day after go-live at 09:00 Paris."""

    delivery = models.OneToOneField("delivery.Delivery", on_delete=models.CASCADE, related_name="follow_up_plan")
    went_live_at = models.DateTimeField("mise en ligne le")
    due_at = models.DateTimeField("J+7 le", db_index=True)
    escalate_at = models.DateTimeField("relance au CDP le", db_index=True)
    # claims: `*_queued_at` is set by the sweep, `*_sent_at` by the task that queued the email
    reminder_queued_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField("rappel envoyé le", null=True, blank=True)
    escalation_queued_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField("escalade envoyée le", null=True, blank=True)

    class Meta:
        verbose_name = "suivi J+7"
        verbose_name_plural = "suivis J+7"

    def __str__(self) -> str:
        return f"J+7 {self.delivery_id} {self.due_at:%Y-%m-%d}"


class Rollout(models.Model):
    """A canary rollout plan of one delivery (R16)."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Prévu"
        RUNNING = "running", "En cours"
        PAUSED = "paused", "En pause"
        HALTED = "halted", "Suspendu (contrôle en échec)"
        COMPLETED = "completed", "Terminé (100 %)"
        ROLLED_BACK = "rolled_back", "Annulé (retour arrière)"

    delivery = models.OneToOneField("delivery.Delivery", on_delete=models.CASCADE, related_name="rollout")
    status = models.CharField("statut", max_length=12, choices=Status.choices, default=Status.PLANNED, db_index=True)
    backend = models.CharField("pilotage du trafic", max_length=10, choices=TrafficBackend.choices, default=TrafficBackend.MANUAL)
    auto_advance = models.BooleanField("avance automatique", default=False)
    current_position = models.PositiveSmallIntegerField("étape en cours", default=0)
    paused_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "déploiement progressif"
        verbose_name_plural = "déploiements progressifs"

    def __str__(self) -> str:
        return f"Déploiement {self.delivery_id} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.RUNNING, self.Status.PAUSED, self.Status.HALTED)


class RolloutStep(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "À venir"
        APPLYING = "applying", "Trafic en cours de réglage"
        OBSERVING = "observing", "En observation"
        HEALTHY = "healthy", "Saine, en attente de promotion"
        UNHEALTHY = "unhealthy", "Contrôle en échec"
        PASSED = "passed", "Validée"
        SKIPPED = "skipped", "Fenêtre écourtée"
        REVERTED = "reverted", "Annulée"

    rollout = models.ForeignKey(Rollout, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField("ordre")
    percent = models.PositiveSmallIntegerField("part du trafic (%)", validators=[MinValueValidator(1), MaxValueValidator(100)])
    window = models.DurationField("fenêtre d'observation", default=timedelta(0))
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    traffic_set_at = models.DateTimeField("trafic réglé le", null=True, blank=True)
    traffic_set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    observe_until = models.DateTimeField("fin de la fenêtre", null=True, blank=True, db_index=True)
    check_queued_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField("contrôlée le", null=True, blank=True)
    healthy = models.BooleanField("saine", null=True, blank=True)
    health = models.JSONField("résultat du contrôle", default=dict, blank=True)
    skip_reason = models.TextField("motif de la promotion anticipée", blank=True)

    class Meta:
        verbose_name = "étape de déploiement"
        verbose_name_plural = "étapes de déploiement"
        ordering = ["rollout", "position"]
        constraints = [models.UniqueConstraint(fields=["rollout", "position"], name="one_step_per_position")]

    def __str__(self) -> str:
        return f"{self.percent} %"

    @property
    def window_label(self) -> str:
        hours = int(self.window.total_seconds() // 3600)
        return f"{hours} h" if hours else ""


class TrafficCall(models.Model):
    """One instruction sent to the traffic webhook, retried by the sweep until answered."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        OK = "ok", "Acceptée"
        FAILED = "failed", "Échec définitif"
        CANCELLED = "cancelled", "Remplacée par une consigne plus récente"

    rollout = models.ForeignKey(Rollout, on_delete=models.CASCADE, related_name="traffic_calls")
    step = models.ForeignKey(RolloutStep, null=True, blank=True, on_delete=models.CASCADE, related_name="traffic_calls")
    percent = models.PositiveSmallIntegerField("part du trafic (%)")
    url = models.URLField(max_length=500)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "appel du webhook de trafic"
        verbose_name_plural = "appels du webhook de trafic"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.percent} % → {self.url}"
