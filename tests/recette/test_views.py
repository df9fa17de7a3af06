"""The recette pages: access (404 for another company), rendering, htmx entry, query counts."""

from __future__ import annotations

import pytest
from django.urls import get_resolver, reverse

from delivery.recette import services
from delivery.recette.models import Anomaly, PVVersion, RecetteCase, RunResult
from projects.vocabulary import Stage
from tests.factories import AnomalyFactory, RecetteCaseFactory, advance_to, recette_run_all_passed

pytestmark = pytest.mark.django_db


def _all_recette_urls(delivery):
    """Every URL of the `recette` namespace, built for objects of `delivery`."""
    run = delivery.recette_runs.first()
    case = delivery.recette_cases.first()
    anomaly = delivery.anomalies.first()
    pv = delivery.pv_versions.first()
    kwargs_for = {
        "pk": delivery.pk, "run_id": run.pk, "case_id": case.pk, "anomaly_id": anomaly.pk,
        "number": pv.number,
    }
    resolver = get_resolver()
    names = [name for name in resolver.reverse_dict if isinstance(name, str)]
    urls = {}
    ns = resolver.namespace_dict["recette"][1]
    for name in ns.reverse_dict:
        if not isinstance(name, str):
            continue
        params = ns.reverse_dict.getlist(name)[0][0][0][1]
        urls[name] = reverse(f"recette:{name}", kwargs={p: kwargs_for[p] for p in params})
    assert names  # the project resolver is loaded
    return urls


@pytest.fixture
def full_delivery(delivery, pm):
    """A delivery at the client stage with every kind of recette object."""
    advance_to(delivery, Stage.DELIVERY)
    run = recette_run_all_passed(delivery, "client")
    AnomalyFactory(delivery=delivery, run=run, case=delivery.recette_cases.first(), severity="major")
    services.pv_generate(delivery=delivery, user=pm)
    from delivery.services import change_request_create

    change_request_create(delivery=delivery, user=pm, title="Page supplémentaire", kind="devis", amount=300)
    return delivery


def test_it_answers_404_on_every_recette_url_to_a_partner_of_another_company(full_delivery, client, other_partner_user):
    urls = _all_recette_urls(full_delivery)
    assert len(urls) == 16  # change requests are the delivery's own actions (delivery:change_request_*)
    client.force_login(other_partner_user)
    counts_before = (RecetteCase.objects.count(), Anomaly.objects.count(), PVVersion.objects.count(), RunResult.objects.count())
    for name, url in urls.items():
        assert client.get(url).status_code in (404, 405), name
        assert client.post(url, {"status": "passed", "title": "x", "severity": "minor", "justification": "x" * 20}).status_code == 404, name
    assert counts_before == (RecetteCase.objects.count(), Anomaly.objects.count(), PVVersion.objects.count(), RunResult.objects.count())


def test_it_shows_every_get_page_to_the_pm_and_the_partner(full_delivery, client, pm, partner_user):
    urls = _all_recette_urls(full_delivery)
    pages = ["tab", "run", "anomaly_edit", "pv", "pv_download"]
    pm_only = ["case_create", "case_edit", "case_import", "case_copy"]
    for user in (pm, partner_user):
        client.force_login(user)
        for name in pages:
            assert client.get(urls[name]).status_code == 200, (user, name)
        for name in pm_only:
            assert client.get(urls[name]).status_code == (200 if user == pm else 403), (user, name)


def test_it_lets_a_partner_enter_results_but_not_edit_the_cahier(delivery, client, partner_user, pm):
    advance_to(delivery, Stage.PRE_DELIVERY)
    RecetteCaseFactory.create_batch(2, delivery=delivery)
    client.force_login(partner_user)
    response = client.post(reverse("recette:run_create", args=[delivery.pk]), {"kind": "internal", "environment": "recette"})
    run = delivery.recette_runs.get()
    assert response.status_code == 302 and response.url == run.get_absolute_url()
    case = delivery.recette_cases.first()
    url = reverse("recette:result_set", args=[delivery.pk, run.pk, case.pk])
    response = client.post(url, {"status": "failed", "comment": "Erreur 500 au paiement"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="run-panel"' in html and 'hx-swap-oob="true"' in html and "1 / 2" in html
    result = RunResult.objects.get(run=run, case=case)
    assert (result.status, result.tester, result.comment) == ("failed", partner_user, "Erreur 500 au paiement")
    assert client.post(reverse("recette:case_create", args=[delivery.pk]), {"reference": "X", "title": "X"}).status_code == 403
    response = client.post(reverse("recette:anomaly_create", args=[delivery.pk]), {"title": "Paiement KO", "severity": "blocking", "case": case.pk, "run": run.pk, "client_visible": "on"})
    anomaly = delivery.anomalies.get()
    assert (anomaly.severity, anomaly.run, anomaly.client_visible) == ("blocking", run, False)  # the partner cannot share


def test_it_creates_and_edits_a_case_with_a_clear_error_on_duplicate_reference(delivery, pm_client):
    url = reverse("recette:case_create", args=[delivery.pk])
    assert pm_client.post(url, {"reference": "CR-001", "title": "Connexion", "priority": "high"}).status_code == 302
    response = pm_client.post(url, {"reference": "CR-001", "title": "Autre", "priority": "normal"})
    assert response.status_code == 200
    assert "existe déjà" in response.content.decode()
    assert delivery.recette_cases.count() == 1


def test_it_refuses_won_t_fix_on_a_blocking_anomaly_without_justification(delivery, pm_client, pm):
    anomaly = AnomalyFactory(delivery=delivery, severity="blocking")
    url = reverse("recette:anomaly_status", args=[delivery.pk, anomaly.pk])
    response = pm_client.post(url, {"status": "wont_fix", "justification": ""}, follow=True)
    assert "justifiez-la" in response.content.decode()
    anomaly.refresh_from_db()
    assert anomaly.status == "open"
    pm_client.post(url, {"status": "wont_fix", "justification": "Le client accepte : correctif livré en maintenance."})
    anomaly.refresh_from_db()
    assert anomaly.status == "wont_fix" and anomaly.wont_fix_justification.startswith("Le client")
    entry = delivery.history.filter(kind="waiver").get()
    assert "AN-" in entry.summary and entry.actor == pm


def test_it_forbids_a_partner_to_leave_a_blocking_anomaly_unfixed(delivery, partner_user):
    from django.core.exceptions import PermissionDenied

    anomaly = AnomalyFactory(delivery=delivery, severity="blocking")
    with pytest.raises(PermissionDenied):
        services.anomaly_set_status(anomaly=anomaly, user=partner_user, status="wont_fix", justification="x" * 30)
    services.anomaly_set_status(anomaly=anomaly, user=partner_user, status="fixed")
    anomaly.refresh_from_db()
    assert anomaly.status == "fixed"


def test_it_filters_anomalies(delivery, pm_client):
    AnomalyFactory(delivery=delivery, severity="blocking", title="Paiement impossible")
    AnomalyFactory(delivery=delivery, severity="minor", title="Faute de frappe", client_visible=True)
    url = reverse("recette:tab", args=[delivery.pk])
    html = pm_client.get(url, {"gravite": "blocking"}).content.decode()
    assert "Paiement impossible" in html and "Faute de frappe" not in html
    html = pm_client.get(url, {"visibilite": "client"}).content.decode()
    assert "Paiement impossible" not in html and "Faute de frappe" in html


def _tab_queries(django_assert_max_num_queries, pm_client, delivery, n_cases):
    RecetteCaseFactory.create_batch(n_cases, delivery=delivery)
    run = services.run_create(delivery=delivery, user=delivery.project.pm, kind="internal", environment="recette")
    for case in delivery.recette_cases.all():
        services.result_set(run=run, case=case, user=delivery.project.pm, status="passed")
    for i in range(3):
        AnomalyFactory(delivery=delivery, case=delivery.recette_cases.first(), run=run)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert pm_client.get(reverse("recette:tab", args=[delivery.pk])).status_code == 200
    return len(ctx.captured_queries)


def test_it_renders_the_tab_with_a_query_count_independent_of_the_number_of_cases(
    django_assert_max_num_queries, pm_client, pm, project
):
    from tests.factories import DeliveryFactory

    small, big = DeliveryFactory(project=project), DeliveryFactory(project=project)
    advance_to(small, Stage.PRE_DELIVERY)
    advance_to(big, Stage.PRE_DELIVERY)
    few = _tab_queries(django_assert_max_num_queries, pm_client, small, 5)
    many = _tab_queries(django_assert_max_num_queries, pm_client, big, 100)
    assert few == many
    with django_assert_max_num_queries(few):
        pm_client.get(reverse("recette:tab", args=[big.pk]))


def test_it_renders_the_run_page_with_a_query_count_independent_of_the_number_of_cases(
    django_assert_max_num_queries, pm_client, delivery
):
    advance_to(delivery, Stage.PRE_DELIVERY)
    RecetteCaseFactory.create_batch(5, delivery=delivery)
    run = recette_run_all_passed(delivery, "internal")
    url = reverse("recette:run", args=[delivery.pk, run.pk])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        pm_client.get(url)
    RecetteCaseFactory.create_batch(60, delivery=delivery)
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        assert pm_client.get(url).status_code == 200


def test_it_keeps_a_case_that_has_results_and_deletes_one_that_has_none(delivery, pm_client, pm):
    advance_to(delivery, Stage.PRE_DELIVERY)
    tested, spare = RecetteCaseFactory(delivery=delivery), RecetteCaseFactory(delivery=delivery)
    run = services.run_create(delivery=delivery, user=pm, kind="internal", environment="recette")
    services.result_set(run=run, case=tested, user=pm, status="passed")
    response = pm_client.post(reverse("recette:case_delete", args=[delivery.pk, tested.pk]), follow=True)
    assert "fait partie de la preuve" in response.content.decode()
    pm_client.post(reverse("recette:case_delete", args=[delivery.pk, spare.pk]))
    assert list(delivery.recette_cases.all()) == [tested]


def test_it_edits_a_case_and_refuses_a_reference_taken_by_another(delivery, pm_client):
    first, second = RecetteCaseFactory(delivery=delivery, reference="A-1"), RecetteCaseFactory(delivery=delivery, reference="A-2")
    url = reverse("recette:case_edit", args=[delivery.pk, second.pk])
    response = pm_client.post(url, {"reference": "A-1", "title": "Autre", "priority": "low"})
    assert response.status_code == 200 and "existe déjà" in response.content.decode()
    assert pm_client.post(url, {"reference": "A-3", "title": "Renommé", "priority": "low"}).status_code == 302
    second.refresh_from_db()
    assert (second.reference, second.title, second.priority) == ("A-3", "Renommé", "low")
    first.refresh_from_db()
    assert first.reference == "A-1"
