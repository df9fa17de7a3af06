"""`manage.py run_due`: one sweep of due work (J+7, rollout windows, webhooks, outbox).

The embedded default has no broker and no beat: tasks run inline and this command is
the clock (`make run` keeps `run_due --loop` beside the web server). With Celery, beat
queues the same sweep every minute; running this as well is harmless (claims are atomic).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from delivery.golive.services import sweep_run

INTERVAL_S = 60


class Command(BaseCommand):
    help = "Traite le travail arrivé à échéance (J+7, fenêtres de déploiement, webhooks, e-mails)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Recommencer toutes les 60 s jusqu'à interruption.")
        parser.add_argument("--interval", type=int, default=INTERVAL_S, help="Secondes entre deux passages (avec --loop).")

    def handle(self, *args, loop: bool = False, interval: int = INTERVAL_S, **options):
        if not loop:
            self.stdout.write(f"Passage : {sweep_run()}")
            return
        self.stdout.write(f"Traitement des échéances toutes les {interval} s (Ctrl+C pour arrêter).")
        try:
            while True:
                started = time.monotonic()
                try:
                    self.stdout.write(f"Passage : {sweep_run()}")
                except Exception as exc:  # noqa: BLE001 - one bad pass must not stop the clock
                    self.stderr.write(f"Passage en échec : {type(exc).__name__} : {exc}")
                time.sleep(max(1.0, interval - (time.monotonic() - started)))
        except KeyboardInterrupt:
            self.stdout.write("Arrêt.")
