"""J+7 (R12): due date, exactly one reminder and one escalation, the follow_up gate."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from communications.models import OutboundMessage
from delivery.gates import blockers_for
from delivery.golive import services
from delivery.golive.dates import follow_up_dates
from delivery.golive.gates import follow_up_day_reached, rollout_reached_full_traffic
from delivery.golive.hooks import on_go_live
from delivery.golive.models import FollowUp
from delivery.golive.selectors import board_badges
from delivery.models import Delivery, HistoryEntry, HistoryKind
from delivery.services import delivery_transition, rule_waive
from projects.vocabulary import Stage
from tests.factories import PartnerUserFactory, put_in_stage

PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_it_puts_j7_on_the_seventh_calendar_day_at_nine_paris_time():
    due, escalate = follow_up_dates(paris(2026, 6, 10, 17, 45))
    assert due == paris(2026, 6, 17, 9, 0)
    assert escalate == paris(2026, 6, 19, 9, 0)


def test_it_keeps_nine_oclock_across_the_dst_change():
    # Go-live on Friday 23 Oct 2026 (CEST, UTC+2); J+7 is after the switch to CET (UTC+1).
    due, _ = follow_up_dates(paris(2026, 10, 23, 23, 30))
    assert due.astimezone(PARIS).hour == 9
    assert due.utcoffset() == timedelta(hours=1)
    assert due.astimezone(ZoneInfo("UTC")).hour == 8


def test_it_uses_the_paris_day_not_the_utc_day():
    # 23:30 UTC on the 9th is already the 10th in Paris.
    due, _ = follow_up_dates(datetime(2026, 6, 9, 23, 30, tzinfo=ZoneInfo("UTC")))
    assert due == paris(2026, 6, 17, 9, 0)


def _live(delivery, at):
    with time_machine.travel(at, tick=False):
        put_in_stage(delivery, Stage.GO_LIVE)
        on_go_live(delivery=delivery, user=None, transition="go_live")
    return FollowUp.objects.get(delivery=delivery)


def _sweep(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.sweep_run()


@pytest.mark.django_db
def test_r12_time_moved_across_j7_and_j9_sends_one_reminder_and_one_escalation(
    delivery, partner_user, email_templates, mailoutbox, django_capture_on_commit_callbacks
):
    second_partner = PartnerUserFactory(partner=partner_user.partner)
    _live(delivery, paris(2026, 6, 10, 15, 0))
    pm_email = delivery.project.pm.email

    with time_machine.travel(paris(2026, 6, 17, 8, 59), tick=False):
        assert _sweep(django_capture_on_commit_callbacks).reminders == 0
    assert OutboundMessage.objects.count() == 0

    for minute in (0, 1, 30):  # three sweeps after J+7: one reminder
        with time_machine.travel(paris(2026, 6, 17, 9, minute), tick=False):
            _sweep(django_capture_on_commit_callbacks)
    reminders = OutboundMessage.objects.filter(template_key="follow_up_reminder")
    assert reminders.count() == 1
    assert set(reminders.get().to) == {partner_user.email, second_partner.email, pm_email}
    assert reminders.get().status == OutboundMessage.Status.SENT
    assert not OutboundMessage.objects.filter(template_key="follow_up_escalation").exists()

    with time_machine.travel(paris(2026, 6, 19, 8, 59), tick=False):
        _sweep(django_capture_on_commit_callbacks)
    assert not OutboundMessage.objects.filter(template_key="follow_up_escalation").exists()

    for hour in (9, 10, 15):
        with time_machine.travel(paris(2026, 6, 19, hour, 0), tick=False):
            _sweep(django_capture_on_commit_callbacks)
    escalations = OutboundMessage.objects.filter(template_key="follow_up_escalation")
    assert escalations.count() == 1
    assert escalations.get().to == [pm_email]
    assert OutboundMessage.objects.filter(template_key="follow_up_reminder").count() == 1
    assert len(mailoutbox) == 2
    assert HistoryEntry.objects.filter(delivery=delivery, kind=HistoryKind.FOLLOW_UP).count() == 3  # planned, reminder, escalation


@pytest.mark.django_db
def test_r12_no_escalation_once_the_delivery_reached_maintenance(delivery, email_templates, django_capture_on_commit_callbacks):
    _live(delivery, paris(2026, 6, 10, 15, 0))
    with time_machine.travel(paris(2026, 6, 17, 10, 0), tick=False):
        _sweep(django_capture_on_commit_callbacks)
    put_in_stage(delivery, Stage.MAINTENANCE)
    with time_machine.travel(paris(2026, 6, 20, 10, 0), tick=False):
        report = _sweep(django_capture_on_commit_callbacks)
    assert report.escalations == 0
    assert not OutboundMessage.objects.filter(template_key="follow_up_escalation").exists()


@pytest.mark.django_db
def test_it_sends_the_reminder_once_when_the_task_runs_twice(delivery, email_templates):
    follow_up = _live(delivery, paris(2026, 6, 10, 15, 0))
    with time_machine.travel(paris(2026, 6, 17, 9, 5), tick=False):
        assert services.follow_up_remind(follow_up_id=follow_up.pk) is True
        assert services.follow_up_remind(follow_up_id=follow_up.pk) is False
        assert services.follow_up_escalate(follow_up_id=follow_up.pk) is False  # not yet J+9
    assert OutboundMessage.objects.filter(template_key="follow_up_reminder").count() == 1


@pytest.mark.django_db
def test_it_schedules_j7_when_go_live_is_confirmed(delivery, pm, settings):
    from tests.factories import advance_to

    with time_machine.travel(paris(2026, 3, 24, 11, 0), tick=False):
        advance_to(delivery, Stage.GO_LIVE)
    follow_up = FollowUp.objects.get(delivery=delivery)
    assert follow_up.due_at == paris(2026, 3, 31, 9, 0)  # after the spring DST change, still 09:00
    assert follow_up.due_at.astimezone(ZoneInfo("UTC")).hour == 7  # CEST, UTC+2


@pytest.mark.django_db
def test_r12_follow_up_gate_waits_for_j7(delivery, pm):
    _live(delivery, paris(2026, 6, 10, 15, 0))
    with time_machine.travel(paris(2026, 6, 12, 10, 0), tick=False):
        assert delivery_transition(delivery_id=delivery.pk, name="start_follow_up", user=pm).ok is False  # checklist
        delivery.checklist_items.filter(stage=Stage.GO_LIVE).update(done=True)
        assert delivery_transition(delivery_id=delivery.pk, name="start_follow_up", user=pm).ok
        delivery.checklist_items.filter(stage=Stage.FOLLOW_UP).update(done=True)
        result = delivery_transition(delivery_id=delivery.pk, name="close_to_maintenance", user=pm)
        assert not result.ok
        assert [b.code for b in result.blockers] == ["R12"]
        assert "17/06/2026 à 09:00" in result.blockers[0].message
    with time_machine.travel(paris(2026, 6, 17, 9, 0), tick=False):
        assert blockers_for(delivery, "close_to_maintenance") == []
        assert delivery_transition(delivery_id=delivery.pk, name="close_to_maintenance", user=pm).ok


@pytest.mark.django_db
def test_r12_a_documented_exception_lifts_the_j7_gate(delivery, pm):
    _live(delivery, paris(2026, 6, 10, 15, 0))
    put_in_stage(delivery, Stage.FOLLOW_UP)
    delivery.checklist_items.filter(stage=Stage.FOLLOW_UP).update(done=True)
    with time_machine.travel(paris(2026, 6, 12, 10, 0), tick=False):
        rule_waive(delivery_id=delivery.pk, code="R12", user=pm, justification="Site vitrine stable, client d'accord pour clore avant J+7.")
        result = delivery_transition(delivery_id=delivery.pk, name="close_to_maintenance", user=pm)
    assert result.ok
    entry = HistoryEntry.objects.filter(delivery=delivery, kind=HistoryKind.TRANSITION).first()
    assert entry.data["waived_rules"][0]["code"] == "R12"


@pytest.mark.django_db
def test_it_gives_board_badges_in_two_queries(project, pm, django_assert_num_queries):
    from tests.factories import DeliveryFactory

    deliveries = [DeliveryFactory(project=project, created_by=pm) for _ in range(4)]
    _live(deliveries[0], paris(2026, 6, 1, 10, 0))   # J+9 passed: late
    _live(deliveries[1], paris(2026, 6, 8, 10, 0))   # J+7 passed: to do
    _live(deliveries[2], paris(2026, 6, 14, 10, 0))  # J+7 ahead: nothing
    with time_machine.travel(paris(2026, 6, 16, 12, 0), tick=False):
        with django_assert_num_queries(2):
            badges = board_badges([d.pk for d in deliveries])
        fresh = list(Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).order_by("pk"))
        with django_assert_num_queries(2):  # instances: prefetched for the gates as well
            assert board_badges(fresh) == badges
        with django_assert_num_queries(0):
            assert rollout_reached_full_traffic(fresh[1]) == []
            assert [b.code for b in follow_up_day_reached(fresh[2])] == ["R12"]
        with django_assert_num_queries(0):
            assert board_badges([deliveries[3]]) == {deliveries[3].pk: []}  # nothing live: no query
    assert badges[deliveries[0].pk] == [("J+7 en retard", "badge-danger")]
    assert badges[deliveries[1].pk] == [("J+7 à faire", "badge-warn")]
    assert badges[deliveries[2].pk] == []
    assert badges[deliveries[3].pk] == []
