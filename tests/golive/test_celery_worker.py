"""A real Celery worker on the Redis at REDIS_URL runs a sweep end to end."""

from __future__ import annotations

import os
import time

import pytest
from django.db import connections

from communications.models import OutboundMessage
from delivery.golive import tasks
from delivery.golive.models import FollowUp
from tests.golive.conftest import ensure_email_templates
from tests.golive.test_sweep import make_due_follow_ups

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a real Redis (REDIS_URL)"),
]


@pytest.fixture
def real_broker():
    from config.celery import app

    app.conf.task_always_eager = False
    app.control.purge()  # leftovers of an earlier run must not reach this worker
    yield app
    app.conf.task_always_eager = True


@pytest.mark.django_db(transaction=True)
def test_it_runs_a_sweep_end_to_end_on_a_real_worker(real_broker, mailoutbox):
    from celery.contrib.testing.worker import start_worker

    assert real_broker.conf.broker_url.startswith("redis://")
    ensure_email_templates()
    follow_ups = make_due_follow_ups(3)
    with start_worker(real_broker, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        tasks.sweep.delay()  # what beat sends every minute
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT).count() == 3:
                break
            time.sleep(0.2)
        tasks.sweep.delay()  # a second sweep finds nothing left to do
        time.sleep(1)
    connections.close_all()
    assert OutboundMessage.objects.filter(template_key="follow_up_reminder", status=OutboundMessage.Status.SENT).count() == 3
    assert FollowUp.objects.filter(reminder_sent_at__isnull=False).count() == len(follow_ups)
    assert len(mailoutbox) == 3
