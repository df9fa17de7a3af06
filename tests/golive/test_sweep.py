"""The sweep: constant queries, atomic claims (two sweeps at once on PostgreSQL), run_due."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from communications.models import OutboundMessage
from delivery.golive import services, tasks
from delivery.golive.models import FollowUp
from delivery.models import Delivery
from projects.vocabulary import Stage
from tests.factories import DeliveryFactory, ProjectFactory
from tests.golive.conftest import ensure_email_templates


def make_due_follow_ups(n: int, *, due: bool = True, project=None) -> list[FollowUp]:
    """n deliveries in follow_up whose J+7 is due (or not), made quickly."""
    now = timezone.now()
    project = project or ProjectFactory()
    rows = []
    for _ in range(n):
        d = DeliveryFactory(project=project, created_by=project.pm)
        Delivery.objects.filter(pk=d.pk).update(stage=Stage.FOLLOW_UP)
        when = now - timedelta(hours=1) if due else now + timedelta(days=3)
        rows.append(FollowUp(delivery=d, went_live_at=now - timedelta(days=7), due_at=when, escalate_at=when + timedelta(days=2)))
    return FollowUp.objects.bulk_create(rows)


@pytest.mark.django_db
@pytest.mark.parametrize("due_count, idle_count", [(2, 3), (25, 60)])
def test_it_sweeps_in_a_constant_number_of_queries(due_count, idle_count, monkeypatch, django_assert_max_num_queries,
                                                  django_capture_on_commit_callbacks):
    queued: list[int] = []
    monkeypatch.setattr(tasks.follow_up_remind, "delay_on_commit", queued.append)
    make_due_follow_ups(due_count)
    make_due_follow_ups(idle_count, due=False)
    with django_assert_max_num_queries(14):
        with django_capture_on_commit_callbacks(execute=True):
            report = services.sweep_run()
    assert report.reminders == due_count
    assert sorted(queued) == sorted(FollowUp.objects.filter(due_at__lte=timezone.now()).values_list("pk", flat=True))
    queued.clear()
    assert services.sweep_run().reminders == 0  # claimed rows are not queued twice
    assert queued == []


@pytest.mark.django_db
def test_it_queues_again_a_claim_whose_task_was_lost(monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(tasks.follow_up_remind, "delay_on_commit", queued.append)
    [follow_up] = make_due_follow_ups(1)
    services.sweep_run()
    services.sweep_run(now=timezone.now() + timedelta(minutes=5))
    assert queued == [follow_up.pk]
    services.sweep_run(now=timezone.now() + timedelta(minutes=11))  # broker lost it: claim again
    assert queued == [follow_up.pk, follow_up.pk]


@pytest.mark.django_db
def test_it_gives_due_outbox_messages_back_to_sending(mailoutbox):
    from communications.services import message_queue

    message = message_queue(to=["a@example.org"], subject="Test", body_text="Corps")  # on_commit never runs here
    assert OutboundMessage.objects.get(pk=message.pk).status == OutboundMessage.Status.QUEUED
    report = services.sweep_run()
    assert report.messages == 1
    assert OutboundMessage.objects.get(pk=message.pk).status == OutboundMessage.Status.SENT
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_it_runs_the_same_sweep_with_run_due_in_embedded_mode(mailoutbox, capsys):
    """No broker: `manage.py run_due` sweeps, its commits run the tasks inline."""
    from config.celery import app

    assert app.conf.task_always_eager
    ensure_email_templates()
    make_due_follow_ups(3)
    call_command("run_due")
    assert "rappels J+7 3" in capsys.readouterr().out
    assert OutboundMessage.objects.filter(template_key="follow_up_reminder", status=OutboundMessage.Status.SENT).count() == 3
    assert len(mailoutbox) == 3
    call_command("run_due")
    assert len(mailoutbox) == 3


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_claims_each_due_row_once_with_two_sweeps_at_once(mailoutbox):
    ensure_email_templates()
    follow_ups = make_due_follow_ups(40)
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            reports.append(services.sweep_run())
        except Exception as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r.reminders for r in reports) == 40
    reminders = OutboundMessage.objects.filter(template_key="follow_up_reminder")
    assert reminders.count() == 40
    assert sorted(reminders.values_list("delivery_id", flat=True)) == sorted(f.delivery_id for f in follow_ups)
    assert FollowUp.objects.filter(reminder_sent_at__isnull=True).count() == 0
    assert len(mailoutbox) == 40


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_sends_one_reminder_when_two_workers_run_the_same_task(mailoutbox):
    ensure_email_templates()
    [follow_up] = make_due_follow_ups(1)
    barrier = threading.Barrier(4)
    results = []

    def work():
        try:
            barrier.wait(timeout=10)
            results.append(services.follow_up_remind(follow_up_id=follow_up.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [False, False, False, True]
    assert OutboundMessage.objects.filter(template_key="follow_up_reminder").count() == 1
