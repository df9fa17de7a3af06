"""Production settings: `check --deploy` clean, the health endpoint, the beat schedule."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_it_passes_check_deploy_with_production_settings(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "jalon.agence.example",
        "CSRF_TRUSTED_ORIGINS": "https://jalon.agence.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key_in_production(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "DEBUG": "0"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_it_schedules_one_sweep_a_minute_and_nothing_hours_ahead():
    from config.celery import app

    schedule = app.conf.beat_schedule
    assert list(schedule) == ["sweep-due-work"]
    assert schedule["sweep-due-work"]["task"] == "golive.sweep" and schedule["sweep-due-work"]["schedule"] == 60.0
    source = "\n".join(p.read_text() for p in (ROOT / "delivery" / "golive").glob("*.py"))
    assert "countdown" not in source and "eta=" not in source


def test_it_declares_every_golive_task_acks_late():
    from delivery.golive import tasks

    for name in ("sweep", "follow_up_remind", "follow_up_escalate", "rollout_step_check", "traffic_call_send", "probe_run"):
        assert getattr(tasks, name).acks_late is True


@pytest.mark.django_db
def test_it_answers_the_container_health_check(client):
    response = client.get("/sante/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
