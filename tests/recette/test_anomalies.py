"""Anomalies: numbering, client visibility (R13), the known-issues list, history (R9)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from delivery.recette import services
from delivery.recette.selectors import client_visible_anomalies, unresolved_anomalies
from projects.vocabulary import Stage
from tests.factories import RecetteCaseFactory, advance_to

pytestmark = pytest.mark.django_db


def test_it_numbers_anomalies_per_delivery_and_records_them(delivery, pm, partner_user):
    case = RecetteCaseFactory(delivery=delivery)
    first = services.anomaly_create(delivery=delivery, user=partner_user, title="Menu cassé", severity="major", case=case)
    second = services.anomaly_create(delivery=delivery, user=pm, title="Faute", severity="minor")
    assert (first.number, second.number) == (1, 2)
    assert delivery.history.filter(kind="recette", summary__startswith="Anomalie AN-1 (majeur)").exists()


def test_it_refuses_a_case_of_another_delivery(delivery, pm, project):
    from tests.factories import DeliveryFactory

    foreign_case = RecetteCaseFactory(delivery=DeliveryFactory(project=project))
    with pytest.raises(ValidationError):
        services.anomaly_create(delivery=delivery, user=pm, title="X", severity="minor", case=foreign_case)


def test_r13_client_visible_anomalies_are_only_the_shared_ones(delivery, pm):
    shared = services.anomaly_create(delivery=delivery, user=pm, title="Visible", severity="minor", client_visible=True)
    services.anomaly_create(delivery=delivery, user=pm, title="Interne", severity="blocking")
    assert list(client_visible_anomalies(delivery)) == [shared]


def test_r13_only_the_agency_shares_an_anomaly_with_the_client(delivery, pm, partner_user):
    anomaly = services.anomaly_create(delivery=delivery, user=partner_user, title="Lenteur", severity="minor")
    with pytest.raises(PermissionDenied):
        services.anomaly_update(anomaly=anomaly, user=partner_user, title="Lenteur", severity="minor", client_visible=True)
    services.anomaly_update(anomaly=anomaly, user=pm, title="Lenteur", severity="minor", client_visible=True)
    anomaly.refresh_from_db()
    assert anomaly.client_visible


def test_r9_wont_fix_on_a_blocking_anomaly_is_a_documented_exception_in_the_history(delivery, pm):
    anomaly = services.anomaly_create(delivery=delivery, user=pm, title="Paiement", severity="blocking")
    with pytest.raises(ValidationError):
        services.anomaly_set_status(anomaly=anomaly, user=pm, status="wont_fix", justification="court")
    services.anomaly_set_status(
        anomaly=anomaly, user=pm, status="wont_fix", justification="Moyen de paiement retiré du périmètre par le client."
    )
    entry = delivery.history.get(kind="waiver")
    assert entry.actor == pm and entry.note.startswith("Moyen de paiement")
    assert list(unresolved_anomalies(delivery)) == []


def test_it_shows_the_known_issues_list_in_pre_delivery(delivery, pm, pm_client):
    advance_to(delivery, Stage.PRE_DELIVERY)
    services.anomaly_create(delivery=delivery, user=pm, title="Galerie lente en 4G", severity="major")
    closed = services.anomaly_create(delivery=delivery, user=pm, title="Lien cassé corrigé", severity="minor")
    services.anomaly_set_status(anomaly=closed, user=pm, status="verified")
    response = pm_client.get(reverse("recette:tab", args=[delivery.pk]))
    known = [a.title for a in response.context["known_issues"]]
    assert known == ["Galerie lente en 4G"]
    assert "Anomalies connues à la pré-livraison" in response.content.decode()


def test_it_refuses_results_once_the_delivery_left_the_run_stage(delivery, pm):
    advance_to(delivery, Stage.PRE_DELIVERY)
    case = RecetteCaseFactory(delivery=delivery)
    run = services.run_create(delivery=delivery, user=pm, kind="internal", environment="recette")
    services.result_set(run=run, case=case, user=pm, status="passed")
    advance_to(delivery, Stage.DELIVERY)
    run.refresh_from_db()
    with pytest.raises(ValidationError):
        services.result_set(run=run, case=case, user=pm, status="failed")


def test_it_refuses_a_client_run_before_the_delivery_stage_and_an_empty_cahier(delivery, pm, partner_user):
    advance_to(delivery, Stage.PRE_DELIVERY)
    with pytest.raises(ValidationError, match="vide"):
        services.run_create(delivery=delivery, user=pm, kind="internal", environment="recette")
    RecetteCaseFactory(delivery=delivery)
    with pytest.raises(ValidationError, match="Livraison client"):
        services.run_create(delivery=delivery, user=pm, kind="client", environment="preprod")


def test_it_freezes_the_known_issues_list_in_the_history_when_delivering_to_the_client(delivery, pm):
    from delivery.services import delivery_transition
    from tests.factories import recette_run_all_passed

    advance_to(delivery, Stage.PRE_DELIVERY)
    delivery.checklist_items.filter(stage=Stage.PRE_DELIVERY).update(done=True)
    recette_run_all_passed(delivery, "internal")
    services.anomaly_create(delivery=delivery, user=pm, title="Galerie lente en 4G", severity="major")
    assert delivery_transition(delivery_id=delivery.pk, name="deliver_to_client", user=pm).ok
    entry = delivery.history.get(summary__startswith="Anomalies connues à la livraison")
    assert entry.summary == "Anomalies connues à la livraison : AN-1"
    assert entry.data["known_issues"][0]["title"] == "Galerie lente en 4G"
