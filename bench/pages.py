"""Benchmark: the portfolio board and the delivery page with 1,000 deliveries of 30 items.

    .venv/bin/python bench/pages.py [--deliveries 1000 --items 30 --runs 15]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jalon_bench .venv/bin/python bench/pages.py

Runs in a throw-away test database (created, then dropped), through the Django test
client as a logged-in PM. Prints the median and p90 render time and the SQL query count of
each page, at 100 deliveries and at the full size: the query count must be the same.
Target (issue 2): each page under 100 ms median.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

STAGES = ["qualification", "cadrage", "production", "pre_delivery", "delivery", "go_live", "follow_up", "maintenance"]


def populate(n: int, n_items: int, start: int = 0) -> list[int]:
    from checklists.models import DeliveryItem
    from delivery.models import Delivery, StageDate
    from projects.models import Client, Partner, Project, User

    pm = User.objects.filter(username="bench-pm").first() or User.objects.create(
        username="bench-pm", first_name="Claire", last_name="Bench", role=User.Role.AGENCY, is_staff=True
    )
    partner, _ = Partner.objects.get_or_create(name="Studio bench")
    client, _ = Client.objects.get_or_create(name="Client bench")
    projects = Project.objects.bulk_create(
        Project(name=f"Site {start + i}", client=client, pm=pm, partner=partner, maintenance_plan="essential",
                hosting_compatible=True) for i in range(n)
    )
    deliveries = Delivery.objects.bulk_create(
        Delivery(project=p, title="Création du site", category=2, stage=STAGES[i % len(STAGES)], created_by=pm)
        for i, p in enumerate(projects)
    )
    StageDate.objects.bulk_create(
        (StageDate(delivery=d, stage=s) for d in deliveries for s in STAGES), batch_size=5000
    )
    # The items spread over the seven checklists like the official process (~4 a stage):
    # those of past stages done, the current stage's half done, later ones already copied.
    def item(d, k):
        stage = STAGES[k % 7]
        current = STAGES.index(d.stage)
        done = STAGES.index(stage) < current or (stage == d.stage and k % 2 == 0)
        return DeliveryItem(delivery=d, stage=stage, position=k, label=f"Point {k}", responsible="partner", done=done)

    DeliveryItem.objects.bulk_create((item(d, k) for d in deliveries for k in range(n_items)), batch_size=5000)
    return [d.pk for d in deliveries]


def measure(http: HttpClient, url: str, runs: int) -> tuple[float, float, int]:
    http.get(url)  # warm caches (templates, URL resolver)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = http.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as ctx:
        http.get(url)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], len(ctx.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    setup_test_environment()
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from projects.models import User

        ids = populate(100, args.items)
        http = HttpClient()
        http.force_login(User.objects.get(username="bench-pm"))
        page = f"/livraisons/{ids[3]}/"  # a pre-delivery: core and recette gates
        small = {"board": measure(http, "/", args.runs), "page": measure(http, page, args.runs)}
        populate(args.deliveries - 100, args.items, start=100)
        full = {"board": measure(http, "/", args.runs), "page": measure(http, page, args.runs)}
        print(f"{connection.vendor}, {args.items} items per delivery, {args.runs} runs each")
        for name in ("board", "page"):
            s, f = small[name], full[name]
            print(
                f"{name:6} 100 deliveries: median {s[0]:6.1f} ms, p90 {s[1]:6.1f} ms, {s[2]} queries | "
                f"{args.deliveries} deliveries: median {f[0]:6.1f} ms, p90 {f[1]:6.1f} ms, {f[2]} queries"
            )
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)


if __name__ == "__main__":
    main()
