"""J+7 dates on the Paris calendar (kept apart so gates can import it without services)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

PARIS = ZoneInfo("Europe/Paris")
FOLLOW_UP_DAYS = 7
ESCALATION_DELAY_DAYS = 2


def follow_up_dates(went_live_at: datetime) -> tuple[datetime, datetime]:
    """J+7 at 09:00 Paris time, escalation two calendar days later at 09:00.

    Computed on the Paris calendar, then localised: a DST change in between keeps 09:00.
    """
    day = timezone.localtime(went_live_at, PARIS).date()
    due = datetime.combine(day + timedelta(days=FOLLOW_UP_DAYS), time(9), tzinfo=PARIS)
    escalate = datetime.combine(day + timedelta(days=FOLLOW_UP_DAYS + ESCALATION_DELAY_DAYS), time(9), tzinfo=PARIS)
    return due, escalate
