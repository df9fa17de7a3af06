"""Writes on checklists. Callers that change a delivery's state (`delivery.services`)
take the delivery's row lock first; these functions only touch checklist rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from checklists.models import ChecklistTemplate, DeliveryItem, TemplateItem


def checklist_materialise(
    *, delivery: Any, stage: str, category: int | None, module_ids: Iterable[int]
) -> list[DeliveryItem]:
    """Give `delivery` its own copy of the stage's applicable items.

    Runs once per (delivery, stage): re-entering a stage (a failed internal recette, a new
    feedback cycle) keeps the copy and its ticks, so template edits made meanwhile never
    change a running delivery.
    """
    existing = list(DeliveryItem.objects.filter(delivery=delivery, stage=stage))
    if existing:
        return existing
    template = ChecklistTemplate.objects.filter(stage=stage).first()
    if template is None:
        return []
    modules = set(module_ids)
    items = [
        DeliveryItem(
            delivery=delivery,
            stage=stage,
            source=item,
            position=item.position,
            label=item.label,
            help_text=item.help_text,
            responsible=item.responsible,
            required=item.required,
        )
        for item in TemplateItem.objects.filter(template=template).order_by("position", "id")
        if item.applies_to(category=category, module_ids=modules)
    ]
    return DeliveryItem.objects.bulk_create(items)


def item_tick(*, item: DeliveryItem, user: Any, comment: str = "", evidence_url: str = "") -> DeliveryItem:
    item.done = True
    item.done_by = user
    item.done_at = timezone.now()
    item.comment = comment.strip()
    item.evidence_url = evidence_url.strip()
    item.save(update_fields=["done", "done_by", "done_at", "comment", "evidence_url"])
    return item


def item_untick(*, item: DeliveryItem) -> DeliveryItem:
    item.done = False
    item.done_by = None
    item.done_at = None
    item.save(update_fields=["done", "done_by", "done_at"])
    return item


def item_waive(*, item: DeliveryItem, user: Any, justification: str) -> DeliveryItem:
    justification = justification.strip()
    if not justification:
        raise ValueError("Une exception doit être justifiée par écrit.")
    item.waived = True
    item.waiver_justification = justification
    item.waived_by = user
    item.waived_at = timezone.now()
    item.save(update_fields=["waived", "waiver_justification", "waived_by", "waived_at"])
    return item
