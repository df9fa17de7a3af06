"""Benchmark: one sweep over 10,000 deliveries of which 500 have their J+7 due.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jalon_bench .venv/bin/python bench/sweep.py [--deliveries 10000 --due 500]

Runs in a throw-away test database (`test_<name>`, created then dropped). Measures:
  1. the sweep as beat runs it with a broker: claims + 500 task publications (kombu
     in-memory transport, so the figure is ours, not Redis's network);
  2. the same sweep in the embedded mode (no broker): the 500 reminder tasks run inline,
     each rendering and sending its email (locmem backend);
and the number of SQL queries of (1), which must not depend on the number of deliveries.
Target: (1) under 2 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402


def populate(n_deliveries: int, n_due: int) -> None:
    from delivery.golive.models import FollowUp
    from delivery.models import Delivery
    from projects.models import Client, Partner, Project, User
    from tests.golive.conftest import ensure_email_templates

    ensure_email_templates()
    partner = Partner.objects.create(name="Studio bench", email="bench@partner.example")
    pm = User.objects.create(username="bench-pm", email="pm@agence.example", role=User.Role.AGENCY)
    User.objects.create(username="bench-dev", email="dev@partner.example", role=User.Role.PARTNER, partner=partner)
    client = Client.objects.create(name="Client bench")
    projects = Project.objects.bulk_create(
        Project(name=f"Site {i}", client=client, pm=pm, partner=partner, maintenance_plan="essential") for i in range(100)
    )
    now = timezone.now()
    deliveries = Delivery.objects.bulk_create(
        (Delivery(project=projects[i % 100], title=f"Livraison {i}", category=1, stage="follow_up", created_by=pm)
         for i in range(n_deliveries)),
        batch_size=2000,
    )
    rows = []
    for i, d in enumerate(deliveries):
        due = now - timedelta(hours=1) if i < n_due else now + timedelta(days=1 + i % 6)
        rows.append(FollowUp(delivery=d, went_live_at=due - timedelta(days=7), due_at=due, escalate_at=due + timedelta(days=2)))
    FollowUp.objects.bulk_create(rows, batch_size=2000)


def reset_claims() -> None:
    from communications.models import OutboundMessage
    from delivery.golive.models import FollowUp

    FollowUp.objects.update(reminder_queued_at=None, reminder_sent_at=None)
    OutboundMessage.objects.all().delete()


def timed_sweep(*, eager: bool) -> tuple[float, int, object]:
    from config.celery import app
    from delivery.golive.services import sweep_run

    app.conf.task_always_eager = eager
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report = sweep_run()
        elapsed = time.perf_counter() - started
    return elapsed, len(queries), report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=500)
    args = parser.parse_args()

    from config.celery import app

    app.conf.broker_url = "memory://"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    setup_test_environment()
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        print(f"Base : {connection.vendor} ({test_db})")
        t0 = time.perf_counter()
        populate(args.deliveries, args.due)
        print(f"Données : {args.deliveries} livraisons, {args.due} J+7 dus ({time.perf_counter() - t0:.1f} s)")

        for run in range(3):
            reset_claims()
            elapsed, n_queries, report = timed_sweep(eager=False)
            print(f"[broker]   passage {run + 1} : {elapsed * 1000:7.1f} ms, {n_queries} requêtes SQL — {report}")
        elapsed_idle, idle_queries, report = timed_sweep(eager=False)
        print(f"[broker]   passage à vide : {elapsed_idle * 1000:7.1f} ms, {idle_queries} requêtes SQL — {report}")

        reset_claims()
        elapsed, n_queries, report = timed_sweep(eager=True)
        from communications.models import OutboundMessage

        sent = OutboundMessage.objects.filter(status="sent").count()
        print(f"[embarqué] passage : {elapsed * 1000:7.1f} ms, {n_queries} requêtes SQL, {sent} e-mails envoyés — {report}")
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)


if __name__ == "__main__":
    main()
