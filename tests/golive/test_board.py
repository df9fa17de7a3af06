"""The board reads the go-live gates and badges without a query per card."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from delivery import selectors
from delivery.golive import services
from delivery.golive.hooks import on_go_live
from delivery.golive.models import Rollout
from projects.vocabulary import Stage
from tests.factories import DeliveryFactory, put_in_stage


def _cards_queries() -> tuple[int, list]:
    with CaptureQueriesContext(connection) as ctx:
        qs = selectors.board_queryset(selectors.BoardFilters())
        cards = selectors.board_cards(list(qs))
    return len(ctx), cards


def _go_live_with_rollout(project, pm, *, suspended: bool):
    delivery = put_in_stage(DeliveryFactory(project=project, created_by=pm), Stage.GO_LIVE)
    on_go_live(delivery=delivery, user=pm, transition="go_live")
    rollout = services.rollout_plan_create(delivery=delivery, user=pm)
    services.rollout_start(rollout_id=rollout.pk, user=pm)
    if suspended:
        Rollout.objects.filter(pk=rollout.pk).update(status=Rollout.Status.HALTED)
    return delivery


@pytest.mark.django_db
def test_it_shows_rollout_badges_and_r16_blockers_in_constant_queries(project, pm, email_templates):
    _go_live_with_rollout(project, pm, suspended=True)
    few, cards = _cards_queries()
    for _ in range(5):
        _go_live_with_rollout(project, pm, suspended=False)
    many, cards = _cards_queries()
    assert many == few
    halted = [c for c in cards if ("Déploiement suspendu", "badge-danger") in c.badges]
    assert len(halted) == 1
    assert all(c.blockers >= 1 for c in cards)  # R16 (and the go-live checklist) block every card
