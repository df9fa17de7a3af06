"""Recette: the cahier (cases), runs and their results, anomalies, and the PV versions.

A PV version is evidence (the client signs it): append-only, its PDF stored with its
SHA-256, and a JSON snapshot so the same document can be rendered again later.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from projects.evidence import AppendOnlyModel
from projects.vocabulary import Stage


class Priority(models.TextChoices):
    HIGH = "high", "Haute"
    NORMAL = "normal", "Normale"
    LOW = "low", "Basse"


class Environment(models.TextChoices):
    """The environments of seed 001."""

    DEV = "dev", "DEV"
    INTEGRATION = "integration", "INTÉGRATION"
    TEST = "test", "TEST"
    RECETTE = "recette", "RECETTE"
    PREPROD = "preprod", "PRÉ-PROD"
    PROD = "prod", "PROD"


class RunKind(models.TextChoices):
    INTERNAL = "internal", "Recette interne"
    CLIENT = "client", "Recette client (UAT)"

    @property
    def stage(self) -> str:
        return Stage.PRE_DELIVERY if self == RunKind.INTERNAL else Stage.DELIVERY


class ResultStatus(models.TextChoices):
    PASSED = "passed", "OK"
    FAILED = "failed", "KO"
    BLOCKED = "blocked", "Bloqué"
    NOT_RUN = "not_run", "Non passé"


class Severity(models.TextChoices):
    BLOCKING = "blocking", "Bloquant"
    MAJOR = "major", "Majeur"
    MINOR = "minor", "Mineur"


class AnomalyStatus(models.TextChoices):
    OPEN = "open", "Ouverte"
    FIXED = "fixed", "Corrigée (à vérifier)"
    VERIFIED = "verified", "Vérifiée"
    WONT_FIX = "wont_fix", "Ne sera pas corrigée"


#: Not closed yet: a fix counts only once someone verified it.
UNRESOLVED = (AnomalyStatus.OPEN, AnomalyStatus.FIXED)


class Decision(models.TextChoices):
    GO = "go", "GO"
    GO_WITH_RESERVES = "go_reserves", "GO avec réserves"
    NO_GO = "no_go", "NO-GO"


class RecetteCase(models.Model):
    """One test case of a delivery's cahier de recette (R14)."""

    delivery = models.ForeignKey(
        "delivery.Delivery", on_delete=models.CASCADE, related_name="recette_cases", verbose_name="livraison"
    )
    reference = models.CharField("référence", max_length=30)
    title = models.CharField("intitulé", max_length=200)
    steps = models.TextField("étapes", blank=True)
    expected = models.TextField("résultat attendu", blank=True)
    module = models.ForeignKey(
        "projects.Module", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="module"
    )
    priority = models.CharField("priorité", max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "cas de recette"
        verbose_name_plural = "cas de recette"
        ordering = ["delivery", "reference", "id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "reference"], name="unique_case_reference_per_delivery")
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}"


class RecetteRun(models.Model):
    """One execution of the cahier on one environment: internal recette or client UAT."""

    delivery = models.ForeignKey(
        "delivery.Delivery", on_delete=models.PROTECT, related_name="recette_runs", verbose_name="livraison"
    )
    number = models.PositiveIntegerField("numéro")
    kind = models.CharField("type", max_length=10, choices=RunKind.choices)
    environment = models.CharField("environnement", max_length=12, choices=Environment.choices)
    stage = models.CharField("étape", max_length=20, choices=Stage.choices)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField("commencée le", auto_now_add=True)

    class Meta:
        verbose_name = "campagne de recette"
        verbose_name_plural = "campagnes de recette"
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="unique_run_number_per_delivery")]

    def __str__(self) -> str:
        return f"Campagne n°{self.number} — {self.get_kind_display()} ({self.get_environment_display()})"

    def get_absolute_url(self) -> str:
        return reverse("recette:run", args=[self.delivery_id, self.pk])


class RunResult(models.Model):
    """The current result of one case in one run. No row means "not run"."""

    run = models.ForeignKey(RecetteRun, on_delete=models.CASCADE, related_name="results")
    case = models.ForeignKey(RecetteCase, on_delete=models.CASCADE, related_name="results")
    status = models.CharField("résultat", max_length=10, choices=ResultStatus.choices)
    tester = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("le")
    comment = models.CharField("commentaire", max_length=500, blank=True)

    class Meta:
        verbose_name = "résultat"
        constraints = [models.UniqueConstraint(fields=["run", "case"], name="one_result_per_case_and_run")]


class Anomaly(models.Model):
    delivery = models.ForeignKey(
        "delivery.Delivery", on_delete=models.PROTECT, related_name="anomalies", verbose_name="livraison"
    )
    number = models.PositiveIntegerField("numéro")
    title = models.CharField("intitulé", max_length=200)
    description = models.TextField("description", blank=True)
    severity = models.CharField("gravité", max_length=10, choices=Severity.choices)
    status = models.CharField("statut", max_length=10, choices=AnomalyStatus.choices, default=AnomalyStatus.OPEN)
    case = models.ForeignKey(
        RecetteCase, null=True, blank=True, on_delete=models.SET_NULL, related_name="anomalies", verbose_name="cas"
    )
    run = models.ForeignKey(
        RecetteRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="anomalies", verbose_name="campagne"
    )
    client_visible = models.BooleanField(
        "visible par le client", default=False, help_text="Les anomalies internes ne sont jamais montrées au client (R13)."
    )
    wont_fix_justification = models.TextField("justification (non corrigée)", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("signalée le", auto_now_add=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status_changed_at = models.DateTimeField("statut changé le", null=True, blank=True)

    class Meta:
        verbose_name = "anomalie"
        ordering = ["delivery", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="unique_anomaly_number_per_delivery"),
            # R9: a blocking anomaly left unfixed is a documented exception, never a silent one.
            models.CheckConstraint(
                name="blocking_wont_fix_is_justified",
                condition=~models.Q(severity="blocking", status="wont_fix") | ~models.Q(wont_fix_justification=""),
            ),
        ]

    def __str__(self) -> str:
        return f"AN-{self.number} — {self.title}"

    @property
    def is_unresolved(self) -> bool:
        return self.status in UNRESOLVED


def pv_upload_to(instance: PVVersion, filename: str) -> str:
    return f"pv/{instance.delivery_id}/{filename}"


class PVVersion(AppendOnlyModel):
    """One generated PV de recette. Regenerating makes a new version; none ever changes."""

    delivery = models.ForeignKey(
        "delivery.Delivery", on_delete=models.PROTECT, related_name="pv_versions", verbose_name="livraison"
    )
    number = models.PositiveIntegerField("version")
    run = models.ForeignKey(RecetteRun, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField("décision", max_length=12, choices=Decision.choices)
    ok_rate = models.DecimalField("taux de cas OK (%)", max_digits=5, decimal_places=1)
    snapshot = models.JSONField("contenu figé")
    file = models.FileField("PDF", upload_to=pv_upload_to)
    sha256 = models.CharField("SHA-256", max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("générée le", auto_now_add=True)

    class Meta:
        verbose_name = "version du PV de recette"
        verbose_name_plural = "versions du PV de recette"
        ordering = ["delivery", "-number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="unique_pv_number_per_delivery")]

    def __str__(self) -> str:
        return f"PV de recette v{self.number} — {self.get_decision_display()}"

    def get_absolute_url(self) -> str:
        return reverse("recette:pv_download", args=[self.delivery_id, self.number])

    @property
    def is_go(self) -> bool:
        return self.decision in (Decision.GO, Decision.GO_WITH_RESERVES)
