"""R15: the PV decision table, its boundaries, and thresholds per category."""

from __future__ import annotations

from decimal import Decimal

import pytest

from delivery.recette.models import Decision, RunResult
from delivery.recette.selectors import Progress, fr_percent, pv_compute, pv_decide
from projects.models import CategoryPolicy
from projects.vocabulary import Stage
from tests.factories import AnomalyFactory, RecetteCaseFactory, advance_to

NINETY_FIVE = Decimal("95.00")


def decide(total, passed, *, blocking=0, reserves=0, threshold=NINETY_FIVE, max_blocking=0, has_run=True):
    return pv_decide(
        progress=Progress(total=total, passed=passed, failed=total - passed, blocked=0),
        has_run=has_run, blocking=blocking, reserves=reserves, threshold=threshold, max_blocking=max_blocking,
    )


@pytest.mark.parametrize(
    ("total", "passed", "blocking", "reserves", "expected"),
    [
        (20, 19, 0, 0, Decision.GO),  # exactly 95.0 %
        (1000, 950, 0, 0, Decision.GO),  # exactly 95.0 %
        (1000, 949, 0, 0, Decision.NO_GO),  # 94.9 %
        (20, 20, 0, 0, Decision.GO),
        (20, 20, 1, 1, Decision.NO_GO),  # one blocking anomaly
        (20, 19, 0, 2, Decision.GO_WITH_RESERVES),  # open major / minor anomalies
        (20, 18, 0, 2, Decision.NO_GO),  # 90 %: reserves do not rescue a low rate
        (0, 0, 0, 0, Decision.NO_GO),  # empty cahier
    ],
)
def test_r15_decision_table(total, passed, blocking, reserves, expected):
    assert decide(total, passed, blocking=blocking, reserves=reserves)[0] == expected


def test_r15_exactly_95_percent_is_go_and_94_9_is_no_go_with_the_rate_in_the_reason():
    assert decide(1000, 950) == (Decision.GO, [])
    decision, reasons = decide(1000, 949)
    assert decision == Decision.NO_GO
    assert reasons == ["Taux de cas OK de 94,9\u00a0% inférieur au minimum de 95\u00a0% (949 cas OK sur 1000)."]


def test_r15_a_rate_just_under_the_threshold_never_displays_as_the_threshold():
    progress = Progress(total=10000, passed=9499, failed=501, blocked=0)
    assert progress.ok_rate == Decimal("94.99")
    assert progress.ok_rate_display == Decimal("94.9")
    assert decide(10000, 9499)[0] == Decision.NO_GO


def test_r15_empty_cahier_is_no_go_with_that_reason():
    decision, reasons = decide(0, 0, has_run=False)
    assert decision == Decision.NO_GO
    assert reasons == ["Le cahier de recette ne contient aucun cas de test."]


def test_r15_no_run_is_no_go():
    assert decide(10, 0, has_run=False)[1] == ["Aucune campagne de recette n'a été exécutée."]


def test_r15_blocking_anomaly_reason_says_how_many():
    decision, reasons = decide(20, 20, blocking=2, reserves=2)
    assert decision == Decision.NO_GO
    assert reasons == ["2 anomalies bloquantes non résolues (aucune tolérée)."]


def test_r15_both_reasons_are_listed():
    assert len(decide(20, 10, blocking=1, reserves=1)[1]) == 2


def test_it_formats_french_percentages():
    assert fr_percent(Decimal("95.00")) == "95\u00a0%"
    assert fr_percent(Decimal("94.96")) == "94,9\u00a0%"


# --- from the database ---------------------------------------------------------------------

@pytest.fixture
def client_stage(delivery):
    advance_to(delivery, Stage.DELIVERY)
    return delivery


def _run_with(delivery, passed, failed):
    from delivery.recette import services

    pm = delivery.project.pm
    cases = RecetteCaseFactory.create_batch(passed + failed, delivery=delivery)
    run = services.run_create(delivery=delivery, user=pm, kind="client", environment="preprod")
    for i, case in enumerate(cases):
        services.result_set(run=run, case=case, user=pm, status="passed" if i < passed else "failed")
    return run


@pytest.mark.django_db
def test_r15_not_run_counts_as_not_ok(client_stage):
    delivery = client_stage
    delivery.recette_cases.all().delete()
    run = _run_with(delivery, 19, 0)
    RecetteCaseFactory(delivery=delivery)  # 20th case, never run
    summary = pv_compute(delivery)
    assert summary.run == run
    assert (summary.progress.total, summary.progress.passed, summary.progress.not_run) == (20, 19, 1)
    assert summary.decision == Decision.GO  # 19/20 = 95.0 %
    RecetteCaseFactory(delivery=delivery)
    assert pv_compute(delivery).decision == Decision.NO_GO  # 19/21


@pytest.mark.django_db
def test_r15_uses_the_latest_run_of_the_stage(client_stage):
    from delivery.recette import services

    delivery = client_stage
    delivery.recette_cases.all().delete()
    _run_with(delivery, 10, 10)
    pm = delivery.project.pm
    second = services.run_create(delivery=delivery, user=pm, kind="client", environment="prod")
    for case in delivery.recette_cases.all():
        services.result_set(run=second, case=case, user=pm, status="passed")
    summary = pv_compute(delivery)
    assert summary.run == second and summary.decision == Decision.GO
    assert RunResult.objects.filter(status="failed").count() == 10  # the first run is kept


@pytest.mark.django_db
def test_r15_reserves_list_open_major_and_minor_anomalies_and_ignore_closed_ones(client_stage):
    delivery = client_stage
    delivery.recette_cases.all().delete()
    _run_with(delivery, 20, 0)
    major = AnomalyFactory(delivery=delivery, severity="major")
    minor = AnomalyFactory(delivery=delivery, severity="minor", status="fixed")
    AnomalyFactory(delivery=delivery, severity="blocking", status="verified")
    AnomalyFactory(delivery=delivery, severity="minor", status="wont_fix")
    summary = pv_compute(delivery)
    assert summary.decision == Decision.GO_WITH_RESERVES
    assert {a.pk for a in summary.reserves} == {major.pk, minor.pk}


@pytest.mark.django_db
def test_r15_one_open_blocking_anomaly_is_no_go(client_stage):
    delivery = client_stage
    delivery.recette_cases.all().delete()
    _run_with(delivery, 20, 0)
    AnomalyFactory(delivery=delivery, severity="blocking")
    summary = pv_compute(delivery)
    assert summary.decision == Decision.NO_GO and summary.reserves == []


@pytest.mark.django_db
def test_r15_thresholds_come_from_the_category_policy(client_stage):
    delivery = client_stage
    delivery.recette_cases.all().delete()
    _run_with(delivery, 18, 2)  # 90 %
    AnomalyFactory(delivery=delivery, severity="blocking")
    assert pv_compute(delivery).decision == Decision.NO_GO  # Cat.1 defaults: 95 %, 0 blocking

    CategoryPolicy.objects.update_or_create(category=1, defaults={"pv_min_ok_rate": Decimal("90.00"), "pv_max_blocking": 1})
    summary = pv_compute(delivery)
    assert summary.decision == Decision.GO_WITH_RESERVES  # the tolerated blocking one is a reserve
    assert summary.threshold == Decimal("90.00")

    CategoryPolicy.objects.update_or_create(category=3, defaults={"pv_min_ok_rate": Decimal("100.00"), "pv_max_blocking": 0})
    type(delivery).objects.filter(pk=delivery.pk).update(category=3)
    delivery.refresh_from_db()
    assert pv_compute(delivery).decision == Decision.NO_GO
