"""R6: client feedback cycles are capped by category; past the cap a change request or a
documented exception pays for each extra cycle."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from delivery.models import ChangeRequest
from delivery.recette.selectors import feedback_cycles
from delivery.services import change_request_create, change_request_decide, delivery_transition, rule_waive
from projects.models import CategoryPolicy
from projects.vocabulary import Stage
from tests.factories import DeliveryFactory, advance_to

pytestmark = pytest.mark.django_db


def open_cycle(delivery, pm):
    return delivery_transition(delivery_id=delivery.pk, name="open_feedback_cycle", user=pm, note="Retours du client")


def back_to_delivery(delivery):
    advance_to(delivery, Stage.DELIVERY)


def test_r6_cat1_allows_one_cycle_then_blocks(delivery, pm):
    advance_to(delivery, Stage.DELIVERY)
    assert open_cycle(delivery, pm).ok
    back_to_delivery(delivery)
    assert feedback_cycles(delivery).used == 1
    result = open_cycle(delivery, pm)
    assert not result.ok
    [blocker] = result.blockers
    assert blocker.code == "R6" and blocker.waivable
    assert "1 sur 1 autorisé" in blocker.message and "Cat.1" in blocker.message
    delivery.refresh_from_db()
    assert delivery.stage == Stage.DELIVERY


@pytest.mark.parametrize(("category", "cap"), [(2, 2), (3, 3)])
def test_r6_cap_follows_the_category_policy(project, pm, category, cap):
    CategoryPolicy.objects.update_or_create(category=category, defaults={"max_feedback_cycles": cap})
    delivery = DeliveryFactory(project=project, category=category)
    advance_to(delivery, Stage.DELIVERY)
    for _ in range(cap):
        assert open_cycle(delivery, pm).ok
        back_to_delivery(delivery)
    assert [b.code for b in open_cycle(delivery, pm).blockers] == ["R6"]


def test_r6_an_accepted_change_request_pays_for_one_more_cycle(delivery, pm):
    advance_to(delivery, Stage.DELIVERY)
    assert open_cycle(delivery, pm).ok
    back_to_delivery(delivery)
    cr = change_request_create(delivery=delivery, user=pm, title="Second tour de retours", kind=ChangeRequest.Kind.DEVIS, amount=450)
    assert not open_cycle(delivery, pm).ok  # a draft pays nothing
    change_request_decide(change_request=cr, user=pm, status=ChangeRequest.Status.ACCEPTED)
    assert open_cycle(delivery, pm).ok
    back_to_delivery(delivery)
    assert not open_cycle(delivery, pm).ok  # one request, one cycle


def test_r6_each_documented_exception_pays_for_one_more_cycle(delivery, pm, partner_user):
    advance_to(delivery, Stage.DELIVERY)
    assert open_cycle(delivery, pm).ok
    back_to_delivery(delivery)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        rule_waive(delivery_id=delivery.pk, code="R6", user=partner_user, justification="Le client a oublié une page")
    rule_waive(delivery_id=delivery.pk, code="R6", user=pm, justification="Geste commercial validé par la direction")
    result = open_cycle(delivery, pm)
    assert result.ok
    back_to_delivery(delivery)
    # The first exception is spent: the next cycle needs its own, with its own code.
    result = open_cycle(delivery, pm)
    assert [b.code for b in result.blockers] == ["R6-2"]
    with pytest.raises(ValidationError):
        rule_waive(delivery_id=delivery.pk, code="R6", user=pm, justification="Encore un geste commercial")
    rule_waive(delivery_id=delivery.pk, code="R6-2", user=pm, justification="Second geste, validé par la direction")
    assert open_cycle(delivery, pm).ok
    assert feedback_cycles(delivery).used == 3


def test_r6_the_internal_recette_going_back_is_not_a_feedback_cycle(delivery, pm):
    advance_to(delivery, Stage.PRE_DELIVERY)
    assert delivery_transition(delivery_id=delivery.pk, name="fail_internal_recette", user=pm, note="Tests KO").ok
    assert feedback_cycles(delivery).used == 0


def test_r6_the_tab_documents_an_exception_for_the_next_cycle(delivery, pm, pm_client):
    from django.urls import reverse

    advance_to(delivery, Stage.DELIVERY)
    assert open_cycle(delivery, pm).ok
    back_to_delivery(delivery)
    html = pm_client.get(reverse("recette:tab", args=[delivery.pk])).content.decode()
    assert "Plafond atteint" in html
    response = pm_client.post(
        reverse("recette:cycle_waive", args=[delivery.pk]), {"justification": "Accord du directeur de clientèle"}, follow=True
    )
    assert "un cycle de retours supplémentaire est autorisé" in response.content.decode()
    assert delivery.rule_waivers.get().code == "R6"
    assert open_cycle(delivery, pm).ok
