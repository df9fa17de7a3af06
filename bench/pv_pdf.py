"""Benchmark: a PV de recette of 100 cases and 20 anomalies renders to PDF in < 1.5 s (median).

    .venv/bin/python bench/pv_pdf.py [--runs 7]

Uses a throwaway in-memory SQLite test database; measures (1) rendering the PDF of a
stored version (`pv_render`) and (2) the whole `pv_generate` (compute + snapshot +
render + hash + store), each run several times, and prints the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
os.environ["DATABASE_URL"] = "sqlite://:memory:"
os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="jalon-bench-")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

TARGET_SECONDS = 1.5


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)

    from delivery.recette import services
    from delivery.recette.pdf import pv_render
    from projects.vocabulary import Stage
    from tests.factories import AnomalyFactory, DeliveryFactory, RecetteCaseFactory, advance_to

    delivery = DeliveryFactory()
    advance_to(delivery, Stage.DELIVERY)
    delivery.recette_cases.all().delete()
    pm = delivery.project.pm
    cases = RecetteCaseFactory.create_batch(100, delivery=delivery)
    run = services.run_create(delivery=delivery, user=pm, kind="client", environment="preprod")
    for i, case in enumerate(cases):
        status = "passed" if i % 17 else "failed"  # 94 % OK: a NO-GO with its reasons
        services.result_set(run=run, case=case, user=pm, status=status, comment="" if status == "passed" else "Écart constaté")
    for i in range(20):
        AnomalyFactory(delivery=delivery, case=cases[i], run=run, severity=("major", "minor")[i % 2], client_visible=bool(i % 3))

    version = services.pv_generate(delivery=delivery, user=pm)  # warm-up: fonts, templates, imports
    pages = len(__import__("pypdf").PdfReader(version.file.path).pages)

    render, generate, render_cpu = [], [], []
    for _ in range(args.runs):
        start, cpu = time.perf_counter(), time.process_time()
        pv_render(version)
        render.append(time.perf_counter() - start)
        render_cpu.append(time.process_time() - cpu)
        start = time.perf_counter()
        services.pv_generate(delivery=delivery, user=pm)
        generate.append(time.perf_counter() - start)

    median_render, median_generate = statistics.median(render), statistics.median(generate)
    print(f"PV: {len(cases)} cases, 20 anomalies, {pages} pages, decision {version.get_decision_display()}")
    print(f"pv_render   median {median_render:.3f} s  (min {min(render):.3f}, max {max(render):.3f}, {args.runs} runs)")
    print(f"pv_render   median CPU time {statistics.median(render_cpu):.3f} s (wall time above includes waiting for a shared CPU)")
    print(f"pv_generate median {median_generate:.3f} s  (min {min(generate):.3f}, max {max(generate):.3f}, {args.runs} runs)")
    ok = max(median_render, median_generate) < TARGET_SECONDS
    print(f"target < {TARGET_SECONDS} s median: {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
