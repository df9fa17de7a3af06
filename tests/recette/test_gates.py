"""Both recette gates, through the real transition service."""

from __future__ import annotations

import pytest

from delivery.gates import blockers_for as all_blockers_for
from delivery.recette import services
from delivery.recette.models import Decision
from delivery.services import delivery_transition
from projects.vocabulary import Stage
from tests.factories import AnomalyFactory, RecetteCaseFactory, advance_to, recette_run_all_passed

pytestmark = pytest.mark.django_db


RECETTE_CODES = {"recette_interne", "anomalie_bloquante", "pv"}


def blockers_for(delivery, name):
    """Only the recette's blockers: other features add their own gates to the same transitions."""
    return [b for b in all_blockers_for(delivery, name) if b.code in RECETTE_CODES]


def _tick_stage(delivery):
    delivery.checklist_items.filter(stage=delivery.stage).update(done=True)


def test_it_blocks_delivery_to_client_without_internal_run(delivery, pm):
    advance_to(delivery, Stage.PRE_DELIVERY)
    _tick_stage(delivery)
    codes = [b.code for b in blockers_for(delivery, "deliver_to_client")]
    assert codes == ["recette_interne"]
    result = delivery_transition(delivery_id=delivery.pk, name="deliver_to_client", user=pm)
    assert not result.ok and result.blockers[0].message == "Recette interne : aucune campagne exécutée"


def test_it_blocks_delivery_to_client_with_open_blocking_anomaly(delivery, pm):
    advance_to(delivery, Stage.PRE_DELIVERY)
    _tick_stage(delivery)
    recette_run_all_passed(delivery, "internal")
    anomaly = AnomalyFactory(delivery=delivery, severity="blocking")
    assert [b.code for b in blockers_for(delivery, "deliver_to_client")] == ["anomalie_bloquante"]
    assert not delivery_transition(delivery_id=delivery.pk, name="deliver_to_client", user=pm).ok
    services.anomaly_set_status(anomaly=anomaly, user=pm, status="fixed")
    # Fixed is not closed until someone verified it.
    assert [b.code for b in blockers_for(delivery, "deliver_to_client")] == ["anomalie_bloquante"]
    services.anomaly_set_status(anomaly=anomaly, user=pm, status="verified")
    assert blockers_for(delivery, "deliver_to_client") == []
    assert delivery_transition(delivery_id=delivery.pk, name="deliver_to_client", user=pm).ok


def test_it_lets_a_major_anomaly_through_the_internal_gate(delivery):
    advance_to(delivery, Stage.PRE_DELIVERY)
    _tick_stage(delivery)
    recette_run_all_passed(delivery, "internal")
    AnomalyFactory(delivery=delivery, severity="major")
    assert blockers_for(delivery, "deliver_to_client") == []


def test_it_blocks_go_live_without_pv_then_with_no_go_pv(delivery, pm):
    advance_to(delivery, Stage.DELIVERY)
    _tick_stage(delivery)
    blockers = blockers_for(delivery, "go_live")
    assert [b.code for b in blockers] == ["pv"]
    assert "aucune version" in blockers[0].message
    assert blockers[0].url.endswith(f"/livraisons/{delivery.pk}/recette/pv/")

    run = services.run_create(delivery=delivery, user=pm, kind="client", environment="preprod")
    cases = list(delivery.recette_cases.all())
    for case in cases[:-1]:
        services.result_set(run=run, case=case, user=pm, status="passed")
    services.result_set(run=run, case=cases[-1], user=pm, status="failed")  # 2/3 OK
    pv = services.pv_generate(delivery=delivery, user=pm)
    assert pv.decision == Decision.NO_GO
    blockers = blockers_for(delivery, "go_live")
    assert [b.code for b in blockers] == ["pv"]
    assert "v1" in blockers[0].message and "NO-GO" in blockers[0].message
    assert not delivery_transition(delivery_id=delivery.pk, name="go_live", user=pm).ok

    services.result_set(run=run, case=cases[-1], user=pm, status="passed")
    AnomalyFactory(delivery=delivery, severity="minor")
    pv2 = services.pv_generate(delivery=delivery, user=pm)
    assert pv2.number == 2 and pv2.decision == Decision.GO_WITH_RESERVES
    assert blockers_for(delivery, "go_live") == []


def test_it_walks_the_whole_pipeline_with_the_satisfiers(delivery):
    advance_to(delivery, Stage.GO_LIVE)
    assert delivery.stage == Stage.GO_LIVE
    assert delivery.pv_versions.get().decision == Decision.GO


def test_it_ignores_a_pv_older_than_the_last_entry_in_delivery(delivery, pm):
    advance_to(delivery, Stage.DELIVERY)
    recette_run_all_passed(delivery, "client")
    services.pv_generate(delivery=delivery, user=pm)
    assert delivery_transition(
        delivery_id=delivery.pk, name="open_feedback_cycle", user=pm, note="Retours du client sur l'accueil"
    ).ok
    delivery.refresh_from_db()
    advance_to(delivery, Stage.PRE_DELIVERY)
    _tick_stage(delivery)
    assert delivery_transition(delivery_id=delivery.pk, name="deliver_to_client", user=pm).ok
    delivery.refresh_from_db()
    _tick_stage(delivery)
    blockers = blockers_for(delivery, "go_live")
    assert [b.code for b in blockers] == ["pv"] and "régénérez" in blockers[0].message


def test_it_does_not_count_cases_added_after_the_run_as_ok(delivery, pm):
    advance_to(delivery, Stage.DELIVERY)
    recette_run_all_passed(delivery, "client")
    RecetteCaseFactory(delivery=delivery)
    assert services.pv_generate(delivery=delivery, user=pm).decision == Decision.NO_GO
