"""What must be true at each stage: templates, and each delivery's own copy of the items."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from projects.vocabulary import Party, Stage


class Responsible(models.TextChoices):
    AGENCY = Party.AGENCY.value, "Agence"
    PARTNER = Party.PARTNER.value, "Partenaire technique"
    BOTH = "both", "Agence + partenaire"

    @classmethod
    def parties(cls, value: str) -> frozenset[str]:
        if value == cls.BOTH:
            return frozenset({Party.AGENCY, Party.PARTNER})
        return frozenset({value})


class ChecklistTemplate(models.Model):
    """The checklist of one stage. Editing it never changes a running delivery."""

    stage = models.CharField("étape", max_length=20, choices=Stage.choices, unique=True)
    title = models.CharField("titre", max_length=200)
    description = models.TextField("description", blank=True)

    class Meta:
        verbose_name = "modèle de checklist"
        verbose_name_plural = "modèles de checklist"

    def __str__(self) -> str:
        return f"{self.get_stage_display()} — {self.title}"


class TemplateItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField("ordre", default=0)
    label = models.CharField("intitulé", max_length=200)
    help_text = models.TextField("aide", blank=True)
    responsible = models.CharField("responsable", max_length=10, choices=Responsible.choices)
    required = models.BooleanField("obligatoire", default=True)
    only_categories = models.JSONField(
        "seulement pour les catégories",
        default=list,
        blank=True,
        help_text="Liste de catégories (ex. [3, 4]) ; vide = toutes.",
    )
    only_module = models.ForeignKey(
        "projects.Module",
        verbose_name="seulement avec le module",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="L'élément ne s'applique que si ce module est dans le périmètre.",
    )

    class Meta:
        verbose_name = "élément de checklist"
        verbose_name_plural = "éléments de checklist"
        ordering = ["template", "position", "id"]

    def __str__(self) -> str:
        return self.label

    def applies_to(self, *, category: int | None, module_ids: set[int]) -> bool:
        if self.only_categories and category not in self.only_categories:
            return False
        if self.only_module_id and self.only_module_id not in module_ids:
            return False
        return True


class DeliveryItem(models.Model):
    """A delivery's own copy of a template item, with its current state.

    The state (done, waived) is current; the history of ticks, unticks and waivers is
    append-only in the delivery's timeline.
    """

    delivery = models.ForeignKey("delivery.Delivery", on_delete=models.CASCADE, related_name="checklist_items")
    stage = models.CharField("étape", max_length=20, choices=Stage.choices)
    source = models.ForeignKey(TemplateItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    position = models.PositiveSmallIntegerField("ordre", default=0)
    label = models.CharField("intitulé", max_length=200)
    help_text = models.TextField("aide", blank=True)
    responsible = models.CharField("responsable", max_length=10, choices=Responsible.choices)
    required = models.BooleanField("obligatoire", default=True)

    done = models.BooleanField("fait", default=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField("fait le", null=True, blank=True)
    comment = models.TextField("commentaire", blank=True)
    evidence_url = models.URLField("lien de preuve", blank=True, max_length=500)

    waived = models.BooleanField("exception documentée", default=False)
    waiver_justification = models.TextField("justification de l'exception", blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    waived_at = models.DateTimeField("exception le", null=True, blank=True)

    class Meta:
        verbose_name = "point de checklist"
        verbose_name_plural = "points de checklist"
        ordering = ["delivery", "stage", "position", "id"]
        indexes = [models.Index(fields=["delivery", "stage"])]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "stage", "source"], name="one_copy_of_template_item_per_stage"
            ),
            models.CheckConstraint(
                name="waiver_has_justification",
                condition=models.Q(waived=False) | ~models.Q(waiver_justification=""),
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def satisfied(self) -> bool:
        """Counted as done by the gate: ticked, or waived with a justification (R9)."""
        return self.done or self.waived or not self.required

    @property
    def parties(self) -> frozenset[str]:
        return Responsible.parties(self.responsible)
