"""The delivery and its state machine (DESIGN.md §Stage machine)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from projects.vocabulary import PIPELINE, Category, Stage


class Delivery(FSMModelMixin, models.Model):
    """One run of a project through the pipeline: the first build, or an evolution
    requalified from an out-of-scope request (R7)."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="deliveries", verbose_name="projet"
    )
    title = models.CharField("intitulé", max_length=200)
    origin = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requalifications",
        verbose_name="issue de la livraison",
    )
    category = models.PositiveSmallIntegerField("catégorie", choices=Category.choices, null=True, blank=True)
    modules = models.ManyToManyField("projects.Module", blank=True, verbose_name="modules du périmètre")
    stage = FSMField("étape", default=Stage.QUALIFICATION, choices=Stage.choices, protected=True, db_index=True)
    stage_entered_at = models.DateTimeField("dans l'étape depuis", default=timezone.now)
    frozen_scope = models.JSONField(
        "périmètre figé", null=True, blank=True, help_text="Catégorie et modules figés à la sortie du cadrage (R5)."
    )
    refusal_reason = models.TextField("motif du refus", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="créée par"
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)

    class Meta:
        verbose_name = "livraison"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.project.name} — {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("delivery:detail", args=[self.pk])

    # --- scope ------------------------------------------------------------------------
    def scope_snapshot(self) -> dict:
        # `.all()` so a board or page that prefetched modules evaluates R5 without a query per delivery.
        return {"category": self.category, "modules": sorted(m.pk for m in self.modules.all())}

    @property
    def stage_index(self) -> int:
        return PIPELINE.index(self.stage) if self.stage in PIPELINE else -1

    @property
    def is_closed(self) -> bool:
        return self.stage in (Stage.MAINTENANCE, Stage.REFUSED)

    # --- transitions (gates are checked by delivery.services under the row lock) --------
    @transition(field=stage, source=Stage.QUALIFICATION, target=Stage.CADRAGE)
    def qualify(self) -> None: ...

    @transition(field=stage, source=Stage.QUALIFICATION, target=Stage.REFUSED)
    def refuse(self) -> None: ...

    @transition(field=stage, source=Stage.CADRAGE, target=Stage.PRODUCTION)
    def start_production(self) -> None: ...

    @transition(field=stage, source=Stage.PRODUCTION, target=Stage.PRE_DELIVERY)
    def submit_internal_recette(self) -> None: ...

    @transition(field=stage, source=Stage.PRE_DELIVERY, target=Stage.PRODUCTION)
    def fail_internal_recette(self) -> None: ...

    @transition(field=stage, source=Stage.PRE_DELIVERY, target=Stage.DELIVERY)
    def deliver_to_client(self) -> None: ...

    @transition(field=stage, source=Stage.DELIVERY, target=Stage.PRODUCTION)
    def open_feedback_cycle(self) -> None: ...

    @transition(field=stage, source=Stage.DELIVERY, target=Stage.GO_LIVE)
    def go_live(self) -> None: ...

    @transition(field=stage, source=Stage.GO_LIVE, target=Stage.FOLLOW_UP)
    def start_follow_up(self) -> None: ...

    @transition(field=stage, source=Stage.FOLLOW_UP, target=Stage.MAINTENANCE)
    def close_to_maintenance(self) -> None: ...


class StageDate(models.Model):
    """Planned date and actual dates of one stage of a delivery."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="stage_dates")
    stage = models.CharField("étape", max_length=20, choices=Stage.choices)
    planned_date = models.DateField("date prévue", null=True, blank=True)
    started_at = models.DateTimeField("commencée le", null=True, blank=True)
    completed_at = models.DateTimeField("validée le", null=True, blank=True)

    class Meta:
        verbose_name = "date d'étape"
        verbose_name_plural = "dates d'étape"
        constraints = [models.UniqueConstraint(fields=["delivery", "stage"], name="one_date_row_per_stage")]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.stage}"
