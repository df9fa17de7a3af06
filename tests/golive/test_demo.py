from __future__ import annotations

import io

import pytest

from delivery.golive.demo import demo_populate
from delivery.golive.hooks import on_go_live
from delivery.golive.models import FollowUp, Rollout, RolloutStep
from delivery.golive.selectors import board_badges
from projects.vocabulary import Stage
from tests.factories import DeliveryFactory, put_in_stage


@pytest.mark.django_db
def test_it_populates_a_due_j7_and_a_rollout_at_20_percent_once(project, pm, partner_user, email_templates):
    following = put_in_stage(DeliveryFactory(project=project, created_by=pm), Stage.GO_LIVE)
    on_go_live(delivery=following, user=pm, transition="go_live")
    put_in_stage(following, Stage.FOLLOW_UP)
    rolling = put_in_stage(DeliveryFactory(project=project, created_by=pm), Stage.GO_LIVE)
    out = io.StringIO()
    demo_populate(stdout=out)
    demo_populate(stdout=out)  # idempotent
    assert board_badges([following])[following.pk] == [("J+7 à faire", "badge-warn")]
    assert FollowUp.objects.filter(delivery=following).count() == 1
    rollout = Rollout.objects.get(delivery=rolling)
    current = RolloutStep.objects.get(rollout=rollout, position=rollout.current_position)
    assert rollout.status == Rollout.Status.RUNNING and current.percent == 20
    assert current.status == RolloutStep.Status.OBSERVING
    assert Rollout.objects.count() == 1
