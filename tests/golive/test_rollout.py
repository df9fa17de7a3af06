"""Canary rollout (R16): healthy path to 100 %, unhealthy step halting, PM actions,
webhook signed with HMAC-SHA256 — against a local HTTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from communications.models import OutboundMessage
from delivery.gates import blockers_for
from delivery.golive import services
from delivery.golive.models import Rollout, RolloutSettings, RolloutStep, TrafficBackend, TrafficCall
from delivery.models import HistoryEntry, HistoryKind
from delivery.services import delivery_transition
from projects.models import CategoryPolicy
from projects.vocabulary import Stage
from tests.factories import put_in_stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    """Run the callbacks queued on commit (tasks queued with delay_on_commit), repeatedly."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def live(delivery, fake_production, email_templates):
    project = delivery.project
    project.production_url = fake_production.site_url
    project.save(update_fields=["production_url"])
    put_in_stage(delivery, Stage.GO_LIVE)
    return delivery


def _webhook_settings(project, fake_production, *, auto_advance: bool, metrics: bool = True) -> RolloutSettings:
    options = services.rollout_settings_for(project)
    options.backend = TrafficBackend.WEBHOOK
    options.webhook_url = fake_production.webhook_url
    options.metrics_url = fake_production.metrics_url if metrics else ""
    options.auto_advance = auto_advance
    options.save()
    fake_production.webhook_secret = options.webhook_secret
    return options


def _step(rollout, position) -> RolloutStep:
    return RolloutStep.objects.get(rollout=rollout, position=position)


def _sweep_at(run_commits, when):
    with time_machine.travel(when, tick=False):
        return run_commits(services.sweep_run)


def test_r16_healthy_path_reaches_100_percent_automatically_through_the_signed_webhook(live, pm, fake_production, run_commits):
    _webhook_settings(live.project, fake_production, auto_advance=True)
    rollout = services.rollout_plan_create(delivery=live, user=pm)
    assert [(s.percent, s.window) for s in rollout.steps.all()] == [
        (5, timedelta(hours=48)), (20, timedelta(hours=24)), (50, timedelta(hours=24)), (100, timedelta(0))
    ]
    start = timezone.now()
    run_commits(services.rollout_start, rollout_id=rollout.pk, user=pm)
    assert _step(rollout, 0).status == RolloutStep.Status.OBSERVING  # the webhook answered 200 at once
    assert fake_production.webhook_calls[0]["signed"] and fake_production.webhook_calls[0]["json"]["percent"] == 5

    _sweep_at(run_commits, start + timedelta(hours=47))
    assert _step(rollout, 0).status == RolloutStep.Status.OBSERVING  # window not over: nothing checked
    _sweep_at(run_commits, start + timedelta(hours=48, minutes=1))
    assert _step(rollout, 0).status == RolloutStep.Status.PASSED and _step(rollout, 0).healthy
    assert _step(rollout, 1).status == RolloutStep.Status.OBSERVING
    _sweep_at(run_commits, start + timedelta(hours=72, minutes=2))
    _sweep_at(run_commits, start + timedelta(hours=96, minutes=3))

    rollout.refresh_from_db()
    assert rollout.status == Rollout.Status.COMPLETED
    assert [c["json"]["percent"] for c in fake_production.webhook_calls] == [5, 20, 50, 100]
    assert all(c["signed"] for c in fake_production.webhook_calls)
    assert TrafficCall.objects.filter(status=TrafficCall.Status.OK, response_status=200).count() == 4
    assert OutboundMessage.objects.filter(template_key="rollout_completed").count() == 1
    assert HistoryEntry.objects.filter(delivery=live, kind=HistoryKind.ROLLOUT).count() >= 6
    assert blockers_for(live, "start_follow_up") == [b for b in blockers_for(live, "start_follow_up") if b.code != "R16"]


def test_r16_unhealthy_step_halts_and_notifies(live, pm, partner_user, fake_production, run_commits):
    _webhook_settings(live.project, fake_production, auto_advance=True)
    rollout = services.rollout_plan_create(delivery=live, user=pm)
    start = timezone.now()
    run_commits(services.rollout_start, rollout_id=rollout.pk, user=pm)
    fake_production.error_rate = 0.07  # 7 % of errors, threshold 2 %
    _sweep_at(run_commits, start + timedelta(hours=48, minutes=1))
    rollout.refresh_from_db()
    step = _step(rollout, 0)
    assert rollout.status == Rollout.Status.HALTED
    assert step.status == RolloutStep.Status.UNHEALTHY and step.healthy is False
    assert "7.00 %" in step.health["reasons"][0]
    halted = OutboundMessage.objects.get(template_key="rollout_halted")
    assert live.project.pm.email in halted.to and partner_user.email in halted.to
    assert [c["json"]["percent"] for c in fake_production.webhook_calls] == [5]  # never opened further
    _sweep_at(run_commits, start + timedelta(hours=80))
    assert _step(rollout, 1).status == RolloutStep.Status.PENDING
    blockers = blockers_for(live, "start_follow_up")
    assert "R16" in [b.code for b in blockers]


def test_r16_site_down_at_window_end_halts(live, pm, fake_production, run_commits):
    _webhook_settings(live.project, fake_production, auto_advance=False, metrics=False)
    rollout = services.rollout_plan_create(delivery=live, user=pm)
    start = timezone.now()
    run_commits(services.rollout_start, rollout_id=rollout.pk, user=pm)
    fake_production.site_status = 502
    _sweep_at(run_commits, start + timedelta(hours=49))
    rollout.refresh_from_db()
    assert rollout.status == Rollout.Status.HALTED
    assert "502" in _step(rollout, 0).health["reasons"][0]


def test_r16_without_auto_advance_a_healthy_step_waits_for_promotion(live, pm, fake_production, run_commits):
    _webhook_settings(live.project, fake_production, auto_advance=False)
    rollout = services.rollout_plan_create(delivery=live, user=pm)
    start = timezone.now()
    run_commits(services.rollout_start, rollout_id=rollout.pk, user=pm)
    _sweep_at(run_commits, start + timedelta(hours=49))
    assert _step(rollout, 0).status == RolloutStep.Status.HEALTHY
    assert _step(rollout, 1).status == RolloutStep.Status.PENDING
    run_commits(services.rollout_promote, rollout_id=rollout.pk, user=pm)  # healthy: no reason needed
    assert _step(rollout, 0).status == RolloutStep.Status.PASSED
    assert _step(rollout, 1).status == RolloutStep.Status.OBSERVING


def test_r16_promote_before_the_window_ends_needs_a_reason(live, pm, fake_production, run_commits):
    _webhook_settings(live.project, fake_production, auto_advance=False)
    rollout = services.rollout_plan_create(delivery=live, user=pm)
    run_commits(services.rollout_start, rollout_id=rollout.pk, user=pm)
    with pytest.raises(ValidationError):
        services.rollout_promote(rollout_id=rollout.pk, user=pm, reason="")
    assert _step(rollout, 0).status == RolloutStep.Status.OBSERVING
    run_commits(services.rollout_promote, rollout_id=rollout.pk, user=pm, reason="Aucune erreur en 6 h, le client veut accélérer.")
    first = _step(rollout, 0)
    assert first.status == RolloutStep.Status.SKIPPED and first.skip_reason.startswith("Aucune erreur")
    entry = HistoryEntry.objects.filter(delivery=live, kind=HistoryKind.ROLLOUT, summary__contains="promue").get()
    assert entry.note.startswith("Aucune erreur") and entry.actor == pm


def test_r16_pause_stops_the_clock_and_resume_extends_the_window(live, pm, fake_production, run_commits):
    _webhook_settings(live.project, fake_production, auto_advance=True)
    rollout = services.rollout_plan_create(delivery=live, user=pm)
    start = timezone.now()
    run_commits(services.rollout_start, rollout_id=rollout.pk, user=pm)
    end_before = _step(rollout, 0).observe_until
    with time_machine.travel(start + timedelta(hours=10), tick=False):
        services.rollout_pause(rollout_id=rollout.pk, user=pm, reason="Campagne d'e-mailing en cours")
    report = _sweep_at(run_commits, start + timedelta(hours=60))
    assert report.step_checks == 0  # paused: nothing advances
    assert _step(rollout, 0).status == RolloutStep.Status.OBSERVING
    with time_machine.travel(start + timedelta(hours=60), tick=False):
        services.rollout_resume(rollout_id=rollout.pk, user=pm)
    assert _step(rollout, 0).observe_until == end_before + timedelta(hours=50)
    assert HistoryEntry.objects.filter(delivery=live, summary="Déploiement progressif mis en pause").exists()


def test_r16_rollback_needs_a_reason_and_sends_zero_percent(live, pm, fake_production, run_commits):
    _webhook_settings(live.project, fake_production, auto_advance=True)
    rollout = services.rollout_plan_create(delivery=live, user=pm)
    run_commits(services.rollout_start, rollout_id=rollout.pk, user=pm)
    with pytest.raises(ValidationError):
        services.rollout_rollback(rollout_id=rollout.pk, user=pm, reason="non")
    run_commits(services.rollout_rollback, rollout_id=rollout.pk, user=pm, reason="Paiement en échec chez 3 clients pilotes.")
    rollout.refresh_from_db()
    assert rollout.status == Rollout.Status.ROLLED_BACK
    last = fake_production.webhook_calls[-1]
    assert last["signed"] and last["json"]["percent"] == 0 and last["json"]["event"] == "rollback"
    assert _step(rollout, 0).status == RolloutStep.Status.REVERTED
    # the plan can start again from 5 %
    run_commits(services.rollout_start, rollout_id=rollout.pk, user=pm)
    assert _step(rollout, 0).status == RolloutStep.Status.OBSERVING


def test_it_retries_the_webhook_then_halts(live, pm, fake_production, run_commits):
    _webhook_settings(live.project, fake_production, auto_advance=True)
    fake_production.webhook_status = 503
    rollout = services.rollout_plan_create(delivery=live, user=pm)
    start = timezone.now()
    run_commits(services.rollout_start, rollout_id=rollout.pk, user=pm)
    call = TrafficCall.objects.get()
    assert call.attempts == 1 and call.status == TrafficCall.Status.PENDING and call.response_status == 503
    for minutes in (2, 5, 10, 20, 40, 80):
        _sweep_at(run_commits, start + timedelta(minutes=minutes))
    call.refresh_from_db()
    rollout.refresh_from_db()
    assert call.attempts == 5 and call.status == TrafficCall.Status.FAILED
    assert rollout.status == Rollout.Status.HALTED
    assert len(fake_production.webhook_calls) == 5


def test_it_rejects_a_wrong_signature_at_the_receiver(live, pm, fake_production, run_commits):
    _webhook_settings(live.project, fake_production, auto_advance=True)
    fake_production.webhook_secret = "not-the-project-secret"
    rollout = services.rollout_plan_create(delivery=live, user=pm)
    run_commits(services.rollout_start, rollout_id=rollout.pk, user=pm)
    assert fake_production.webhook_calls[0]["signed"] is False
    assert TrafficCall.objects.get().response_status == 401
    assert _step(rollout, 0).status == RolloutStep.Status.APPLYING  # traffic not confirmed


def test_r16_manual_backend_asks_the_partner_and_waits_for_confirmation(live, pm, partner_user, other_partner_user, run_commits):
    rollout = services.rollout_plan_create(delivery=live, user=pm)
    run_commits(services.rollout_start, rollout_id=rollout.pk, user=pm)
    message = OutboundMessage.objects.get(template_key="rollout_step_manual")
    assert message.to == [partner_user.email] and "5 %" in message.subject
    assert _step(rollout, 0).status == RolloutStep.Status.APPLYING
    with pytest.raises(PermissionDenied):
        services.rollout_traffic_confirm(rollout_id=rollout.pk, user=other_partner_user)
    services.rollout_traffic_confirm(rollout_id=rollout.pk, user=partner_user)
    step = _step(rollout, 0)
    assert step.status == RolloutStep.Status.OBSERVING and step.traffic_set_by == partner_user
    with pytest.raises(PermissionDenied):
        services.rollout_pause(rollout_id=rollout.pk, user=partner_user)


def test_r16_rollout_plan_is_created_at_go_live_when_the_category_expects_it(delivery, pm):
    from tests.factories import advance_to

    CategoryPolicy.objects.update_or_create(category=3, defaults={"canary_expected": True})
    delivery.category = 3
    delivery.save(update_fields=["category"])
    advance_to(delivery, Stage.GO_LIVE)
    rollout = Rollout.objects.get(delivery=delivery)
    assert rollout.status == Rollout.Status.PLANNED
    result = delivery_transition(delivery_id=delivery.pk, name="start_follow_up", user=pm)
    delivery.checklist_items.filter(stage=Stage.GO_LIVE).update(done=True)
    result = delivery_transition(delivery_id=delivery.pk, name="start_follow_up", user=pm)
    assert not result.ok and [b.code for b in result.blockers] == ["R16"]


def test_it_creates_no_rollout_for_a_category_without_canary(delivery):
    from tests.factories import advance_to

    CategoryPolicy.objects.filter(category=1).update(canary_expected=False)
    advance_to(delivery, Stage.GO_LIVE)
    assert not Rollout.objects.filter(delivery=delivery).exists()
    assert blockers_for(delivery, "start_follow_up") == [] or all(b.code != "R16" for b in blockers_for(delivery, "start_follow_up"))


def test_it_cancels_an_instruction_still_retrying_when_the_pm_rolls_back(live, pm, fake_production, run_commits):
    _webhook_settings(live.project, fake_production, auto_advance=True)
    fake_production.webhook_status = 503
    rollout = services.rollout_plan_create(delivery=live, user=pm)
    start = timezone.now()
    run_commits(services.rollout_start, rollout_id=rollout.pk, user=pm)
    fake_production.webhook_status = 200
    run_commits(services.rollout_rollback, rollout_id=rollout.pk, user=pm, reason="Le client reporte l'ouverture d'une semaine.")
    for minutes in (2, 5, 10, 20):
        _sweep_at(run_commits, start + timedelta(minutes=minutes))
    assert [c["json"]["percent"] for c in fake_production.webhook_calls] == [5, 0]
    assert list(TrafficCall.objects.order_by("pk").values_list("percent", "status")) == [
        (5, TrafficCall.Status.CANCELLED), (0, TrafficCall.Status.OK)
    ]


def test_r16_manual_rollback_tells_partner_and_pm_what_to_do(live, pm, partner_user, run_commits):
    rollout = services.rollout_plan_create(delivery=live, user=pm)
    run_commits(services.rollout_start, rollout_id=rollout.pk, user=pm)
    services.rollout_traffic_confirm(rollout_id=rollout.pk, user=partner_user)
    run_commits(services.rollout_rollback, rollout_id=rollout.pk, user=pm, reason="Formulaire de contact en erreur.")
    message = OutboundMessage.objects.get(template_key="rollout_halted")
    assert set(message.to) == {partner_user.email, pm.email}
    assert "Formulaire de contact en erreur." in message.body_text and "5 %" in message.subject
