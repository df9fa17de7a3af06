"""R10: no go-live without the client's written validation of the current PV."""

from __future__ import annotations

import pytest

from delivery.gates import blockers_for
from delivery.services import delivery_transition
from projects.vocabulary import Stage
from tests.factories import client_validation_record, recette_run_all_passed

pytestmark = pytest.mark.django_db


def _r10(delivery):
    return [b for b in blockers_for(delivery, "go_live") if b.code == "R10"]


def _tick_all(delivery):
    from checklists.models import DeliveryItem

    DeliveryItem.objects.filter(delivery=delivery, stage=delivery.stage).update(done=True)


def test_r10_go_live_is_blocked_without_a_validation(delivery_with_pv):
    _tick_all(delivery_with_pv)
    blockers = _r10(delivery_with_pv)
    assert len(blockers) == 1 and "Validation écrite du client manquante" in blockers[0].message
    result = delivery_transition(delivery_id=delivery_with_pv.pk, name="go_live", user=delivery_with_pv.project.pm)
    assert not result.ok and any(b.code == "R10" for b in result.blockers)


def test_r10_a_decline_does_not_unblock(delivery_with_pv):
    client_validation_record(delivery_with_pv, decision="declined")
    assert _r10(delivery_with_pv)


def test_r10_a_validation_of_the_current_pv_unblocks_go_live(delivery_with_pv):
    _tick_all(delivery_with_pv)
    client_validation_record(delivery_with_pv)
    assert _r10(delivery_with_pv) == []
    result = delivery_transition(delivery_id=delivery_with_pv.pk, name="go_live", user=delivery_with_pv.project.pm)
    assert result.ok, [b.message for b in result.blockers]
    assert result.delivery.stage == Stage.GO_LIVE


def test_r10_a_newer_pv_makes_the_validation_stale(delivery_with_pv):
    from delivery.recette.services import pv_generate

    client_validation_record(delivery_with_pv, signer_name="Camille Dupont")
    recette_run_all_passed(delivery_with_pv, "client")
    pv_generate(delivery=delivery_with_pv, user=delivery_with_pv.project.pm)  # v2
    blockers = _r10(delivery_with_pv)
    assert len(blockers) == 1
    assert "périmée" in blockers[0].message and "v1" in blockers[0].message and "v2" in blockers[0].message
    assert blockers[0].data == {"stale": True, "validated_pv": 1, "current_pv": 2}
    client_validation_record(delivery_with_pv)
    assert _r10(delivery_with_pv) == []
