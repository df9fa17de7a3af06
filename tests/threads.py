"""Run functions at the same instant on real threads (and real database connections)."""

from __future__ import annotations

import threading

from django.db import connections


def run_together(*functions):
    """Start each function on its own thread behind a barrier; return what each returned
    or raised, in order, so the test can inspect both sides of the race."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def runner(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each side got
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results
