"""Celery application. The beat schedule lives here and only here (DESIGN.md §Scheduling)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("jalon")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One sweep a minute claims due rows in the database and queues short tasks.
app.conf.beat_schedule = {
    "sweep-due-work": {
        "task": "golive.sweep",
        "schedule": 60.0,
        # A sweep not started within the minute is superseded by the next one.
        "options": {"expires": 55},
    },
}
