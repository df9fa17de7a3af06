"""Races on the real PostgreSQL: the row lock makes the gate and the transition atomic."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from checklists.models import DeliveryItem
from delivery.models import Delivery, HistoryEntry, HistoryKind
from delivery.services import delivery_transition, item_set_done
from projects.vocabulary import Stage
from tests.factories import DeliveryFactory, ProjectFactory
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite has no row locks")


def test_it_never_leaves_a_delivery_past_an_incomplete_gate_when_an_untick_races_the_advance():
    outcomes = {"advanced_first": 0, "unticked_first": 0}
    for _ in range(15):
        delivery = DeliveryFactory(project=ProjectFactory())
        pm = delivery.project.pm
        items = list(DeliveryItem.objects.filter(delivery=delivery, stage=Stage.QUALIFICATION))
        assert len(items) == 3  # the official checklist is there: the race is real
        DeliveryItem.objects.filter(pk__in=[i.pk for i in items]).update(done=True)
        victim = items[0]

        advance, untick = run_together(
            lambda: delivery_transition(delivery_id=delivery.pk, name="qualify", user=pm),
            lambda: item_set_done(item_id=victim.pk, user=pm, done=False),
        )
        delivery.refresh_from_db()
        victim.refresh_from_db()
        if delivery.stage == Stage.CADRAGE:
            # The advance won: the untick must have been refused, the item still ticked.
            assert advance.ok
            assert isinstance(untick, ValidationError), untick
            assert victim.done
            outcomes["advanced_first"] += 1
        else:
            # The untick won: the gate saw it and refused the move.
            assert delivery.stage == Stage.QUALIFICATION
            assert not advance.ok and any(b.code == "checklist" for b in advance.blockers)
            assert not victim.done
            outcomes["unticked_first"] += 1
    assert sum(outcomes.values()) == 15


def test_it_makes_exactly_one_transition_when_two_pms_click_together():
    for _ in range(10):
        delivery = DeliveryFactory(project=ProjectFactory())
        pm = delivery.project.pm
        DeliveryItem.objects.filter(delivery=delivery, stage=Stage.QUALIFICATION).update(done=True)
        first, second = run_together(
            lambda: delivery_transition(delivery_id=delivery.pk, name="qualify", user=pm),
            lambda: delivery_transition(delivery_id=delivery.pk, name="qualify", user=pm),
        )
        assert sorted([first.ok, second.ok]) == [False, True], (first, second)
        loser = first if not first.ok else second
        assert "changé d'étape" in loser.error
        assert Delivery.objects.get(pk=delivery.pk).stage == Stage.CADRAGE
        assert HistoryEntry.objects.filter(delivery=delivery, kind=HistoryKind.TRANSITION).count() == 1
        # The cadrage checklist was materialised once, not twice.
        assert DeliveryItem.objects.filter(delivery=delivery, stage=Stage.CADRAGE).count() == 5
