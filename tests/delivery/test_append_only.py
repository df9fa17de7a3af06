"""Evidence is append-only: history rows and documented exceptions never change."""

from __future__ import annotations

import pytest

from delivery.models import HistoryEntry, RuleWaiver
from delivery.services import rule_waive
from projects.evidence import AppendOnlyError

pytestmark = pytest.mark.django_db


def test_r9_history_rows_cannot_be_edited_or_deleted(delivery):
    entry = HistoryEntry.objects.filter(delivery=delivery).first()
    entry.summary = "réécrit"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        HistoryEntry.objects.filter(pk=entry.pk).update(summary="réécrit")
    with pytest.raises(AppendOnlyError):
        HistoryEntry.objects.filter(pk=entry.pk).delete()
    assert HistoryEntry.objects.get(pk=entry.pk).summary != "réécrit"


def test_r9_documented_exceptions_cannot_be_edited(delivery, pm):
    delivery.project.maintenance_plan = "none"
    delivery.project.save()
    waiver = rule_waive(delivery_id=delivery.pk, code="R4", user=pm, justification="Client en contrat cadre séparé")
    with pytest.raises(AppendOnlyError):
        RuleWaiver.objects.filter(pk=waiver.pk).update(justification="autre")
    with pytest.raises(AppendOnlyError):
        waiver.delete()
