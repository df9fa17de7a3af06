"""What entering go_live starts (registered in delivery/hooks.py ON_ENTER)."""

from __future__ import annotations

from typing import Any

from delivery.golive import services
from delivery.golive.models import Rollout
from projects.models import CategoryPolicy


def on_go_live(*, delivery: Any, user: Any, transition: str) -> None:
    """J+7 falls due from now; a canary plan when the category expects one; probe the site."""
    from delivery.golive import tasks

    services.follow_up_schedule(delivery=delivery)
    if delivery.category and CategoryPolicy.for_category(delivery.category).canary_expected:
        if not Rollout.objects.filter(delivery=delivery).exists():
            services.rollout_plan_create(delivery=delivery)
    if delivery.project.production_url:
        tasks.probe_run.delay_on_commit(delivery.pk)
