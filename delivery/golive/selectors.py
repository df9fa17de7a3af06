"""Reads for the board and the go-live tab."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import prefetch_related_objects
from django.utils import timezone

from delivery.golive.models import FollowUp, Rollout
from delivery.golive.services import OPEN_STAGES
from delivery.models import Delivery

J7_TODO = ("J+7 à faire", "badge-warn")
J7_LATE = ("J+7 en retard", "badge-danger")
ROLLOUT_SUSPENDED = ("Déploiement suspendu", "badge-danger")
ROLLOUT_PAUSED = ("Déploiement en pause", "badge-warn")
SUSPENDED = (Rollout.Status.HALTED, Rollout.Status.PAUSED)


def _j7_badge(follow_up: FollowUp | None, now) -> tuple[str, str] | None:
    if follow_up is None or follow_up.due_at > now:
        return None
    return J7_LATE if follow_up.escalate_at <= now else J7_TODO


def _rollout_badge(status: str | None) -> tuple[str, str] | None:
    if status == Rollout.Status.HALTED:
        return ROLLOUT_SUSPENDED
    if status == Rollout.Status.PAUSED:
        return ROLLOUT_PAUSED
    return None


def _cached(delivery: Delivery, name: str):
    try:
        return getattr(delivery, name)
    except ObjectDoesNotExist:
        return None


def board_badges(deliveries: Iterable[Any]) -> dict[int, list[tuple[str, str]]]:
    """(label, css class) badges per delivery id, in at most two queries whatever the number.

    Given Delivery instances (the board), it prefetches `rollout` and `follow_up_plan` on
    the go-live and follow-up ones only, so the go-live gates evaluated next for the same
    cards read them from memory, and a board without such cards costs no query at all.
    """
    deliveries = list(deliveries)
    now = timezone.now()
    if all(isinstance(d, Delivery) for d in deliveries):
        badges: dict[int, list[tuple[str, str]]] = {d.pk: [] for d in deliveries}
        live = [d for d in deliveries if d.stage in OPEN_STAGES]
        prefetch_related_objects(live, "rollout", "follow_up_plan")
        for delivery in live:
            rollout = _cached(delivery, "rollout")
            for badge in (_j7_badge(_cached(delivery, "follow_up_plan"), now), _rollout_badge(rollout.status if rollout else None)):
                if badge:
                    badges[delivery.pk].append(badge)
        return badges
    ids = [getattr(d, "pk", d) for d in deliveries]
    badges = {pk: [] for pk in ids}
    if not ids:
        return badges
    for follow_up in FollowUp.objects.filter(delivery_id__in=ids, delivery__stage__in=OPEN_STAGES, due_at__lte=now).only(
        "delivery_id", "due_at", "escalate_at"
    ):
        badges[follow_up.delivery_id].append(_j7_badge(follow_up, now))
    for delivery_id, status in Rollout.objects.filter(delivery_id__in=ids, status__in=SUSPENDED).values_list("delivery_id", "status"):
        badges[delivery_id].append(_rollout_badge(status))
    return badges


def follow_up_state(follow_up: FollowUp | None, stage: str) -> tuple[str, str]:
    """(label, css class) of the J+7 for the tab."""
    if follow_up is None:
        return ("Prévu à la mise en production", "badge")
    if stage not in OPEN_STAGES:
        return ("Clos", "badge-ok")
    return _j7_badge(follow_up, timezone.now()) or ("À venir", "badge-info")
