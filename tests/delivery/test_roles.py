"""R8: who may trigger which transition and tick which item."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from checklists.models import DeliveryItem, Responsible
from delivery.rules import can_tick_item, can_trigger, can_view_delivery
from delivery.services import delivery_transition, item_set_done
from delivery.transitions import BY_NAME
from projects.vocabulary import Stage
from tests.factories import advance_to

pytestmark = pytest.mark.django_db


def test_r8_partner_cannot_trigger_agency_stages(delivery, partner_user):
    DeliveryItem.objects.filter(delivery=delivery).update(done=True)
    result = delivery_transition(delivery_id=delivery.pk, name="qualify", user=partner_user)
    assert not result.ok and "R8" in result.error
    delivery.refresh_from_db()
    assert delivery.stage == Stage.QUALIFICATION


def test_r8_partner_triggers_its_own_stages(delivery, partner_user):
    advance_to(delivery, Stage.PRODUCTION)
    DeliveryItem.objects.filter(delivery=delivery, stage=Stage.PRODUCTION).update(done=True)
    result = delivery_transition(delivery_id=delivery.pk, name="submit_internal_recette", user=partner_user)
    assert result.ok, (result.error, result.blockers)


@pytest.mark.parametrize(
    ("name", "partner_may"),
    [
        ("qualify", False),
        ("refuse", False),
        ("start_production", True),  # cadrage is shared agency + partner
        ("submit_internal_recette", True),
        ("fail_internal_recette", True),
        ("deliver_to_client", True),
        ("open_feedback_cycle", False),
        ("go_live", False),  # leaving client delivery is the agency's call
        ("start_follow_up", True),
        ("close_to_maintenance", True),
    ],
)
def test_r8_responsible_party_per_transition(delivery, partner_user, pm, name, partner_may):
    spec = BY_NAME[name]
    assert can_trigger(partner_user, delivery, spec) is partner_may
    assert can_trigger(pm, delivery, spec) is True


def test_r8_partner_of_another_company_triggers_nothing(delivery, other_partner_user):
    assert not any(can_trigger(other_partner_user, delivery, spec) for spec in BY_NAME.values())
    assert not can_view_delivery(other_partner_user, delivery)


def test_r8_partner_ticks_only_items_of_its_party(delivery, partner_user):
    advance_to(delivery, Stage.CADRAGE)
    items = {i.responsible: i for i in DeliveryItem.objects.filter(delivery=delivery, stage=Stage.CADRAGE)}
    assert can_tick_item(partner_user, items[Responsible.PARTNER])
    assert can_tick_item(partner_user, items[Responsible.BOTH])
    assert not can_tick_item(partner_user, items[Responsible.AGENCY])
    with pytest.raises(PermissionDenied):
        item_set_done(item_id=items[Responsible.AGENCY].pk, user=partner_user, done=True)
    item_set_done(item_id=items[Responsible.PARTNER].pk, user=partner_user, done=True)


def test_it_hides_deliveries_from_inactive_users(delivery, partner_user):
    partner_user.is_active = False
    assert not can_view_delivery(partner_user, delivery)
