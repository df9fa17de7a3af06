"""Gates added by the go-live features (registered in delivery/gates.py GATES).

They read `delivery.rollout` / `delivery.follow_up_plan` through the reverse accessors:
on the board, `selectors.board_badges` (called before the gates) has prefetched them for
the go-live and follow-up cards, so no card costs a query.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils import timezone

from delivery.golive.dates import PARIS, follow_up_dates
from delivery.golive.models import Rollout


def _related(delivery, name: str):
    try:
        return getattr(delivery, name)
    except ObjectDoesNotExist:
        return None


def rollout_reached_full_traffic(delivery) -> list:
    """R16: go_live → follow_up once the canary rollout, when there is one, is at 100 %."""
    from delivery.gates import Blocker  # delivery.gates imports this module to build GATES

    rollout = _related(delivery, "rollout")
    if rollout is None or rollout.status == Rollout.Status.COMPLETED:
        return []
    if rollout.status == Rollout.Status.PLANNED:
        where = " (pas encore démarré)"
    else:
        where = f" (étape {rollout.current_position + 1} : {rollout.get_status_display().lower()})"
    return [
        Blocker(
            code="R16",
            message="Le déploiement progressif n'a pas atteint 100 % du trafic" + where,
            url=reverse("golive:tab", args=[delivery.pk]) + "#deploiement",
            waivable=True,
        )
    ]


def follow_up_day_reached(delivery) -> list:
    """R12: follow_up → maintenance not before J+7 (or a documented exception)."""
    from delivery.gates import Blocker

    follow_up = _related(delivery, "follow_up_plan")
    if follow_up is not None:
        due = follow_up.due_at
    else:  # went live before this feature existed: derive J+7 from the stage dates
        # `.all()` so the board's prefetch of stage_dates serves it without a query per card.
        started = next((d.started_at for d in delivery.stage_dates.all() if d.stage == "go_live"), None)
        if started is None:
            return []
        due = follow_up_dates(started)[0]
    if timezone.now() >= due:
        return []
    return [
        Blocker(
            code="R12",
            message=f"J+7 pas encore atteint : le suivi de stabilité est prévu le {timezone.localtime(due, PARIS):%d/%m/%Y à %H:%M}",
            url=reverse("golive:tab", args=[delivery.pk]) + "#j7",
            waivable=True,
        )
    ]
