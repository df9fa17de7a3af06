"""Demo data for go-live: a delivery in follow_up whose J+7 is due, one rolling out at 20 %.

Written through the real services; safe to run twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from delivery.golive import services
from delivery.golive.models import FollowUp, Rollout, RolloutStep
from delivery.models import Delivery
from projects.models import User
from projects.vocabulary import Stage


def _partner_user(delivery: Delivery) -> User | None:
    return User.objects.filter(partner_id=delivery.project.partner_id, role=User.Role.PARTNER, is_active=True).order_by("pk").first()


def _j7_due(stdout: Any) -> None:
    delivery = Delivery.objects.filter(stage=Stage.FOLLOW_UP).select_related("project").order_by("pk").first()
    if delivery is None:
        return
    follow_up = FollowUp.objects.filter(delivery=delivery).first()
    if follow_up is not None and follow_up.due_at <= timezone.now():
        return
    # The demo walked it through go-live just now; put its go-live eight days back so J+7 is due.
    services.follow_up_schedule(delivery=delivery, went_live_at=timezone.now() - timedelta(days=8))
    stdout.write(f"Mise en ligne : J+7 à faire pour « {delivery} ».")


def _rollout_at_20(stdout: Any) -> None:
    delivery = (
        Delivery.objects.filter(stage=Stage.GO_LIVE, rollout__isnull=True).select_related("project__pm").order_by("pk").first()
    )
    if delivery is None:
        return
    pm, partner = delivery.project.pm, _partner_user(delivery)
    rollout = services.rollout_plan_create(delivery=delivery, user=pm)
    services.rollout_start(rollout_id=rollout.pk, user=pm)
    services.rollout_traffic_confirm(rollout_id=rollout.pk, user=partner or pm)
    # 48 h of observation cannot pass during `make demo`: record the first window's healthy end.
    now = timezone.now()
    RolloutStep.objects.filter(rollout=rollout, position=0).update(
        status=RolloutStep.Status.HEALTHY, healthy=True, observe_until=now, checked_at=now,
        health={"ok": True, "reasons": [], "status_code": 200, "response_ms": 212, "error_rate": 0.004, "max_error_rate": 2.0},
    )
    services.rollout_promote(rollout_id=rollout.pk, user=pm)
    services.rollout_traffic_confirm(rollout_id=rollout.pk, user=partner or pm)
    rollout.refresh_from_db()
    if rollout.status == Rollout.Status.RUNNING:
        stdout.write(f"Mise en ligne : déploiement progressif à 20 % pour « {delivery} ».")


def demo_populate(*, stdout: Any) -> None:
    _j7_due(stdout)
    _rollout_at_20(stdout)
