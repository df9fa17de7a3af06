"""What the recette does when a delivery enters a stage (registered in `delivery.hooks`)."""

from __future__ import annotations

from typing import Any

from delivery.models import HistoryKind
from delivery.recette.selectors import unresolved_anomalies
from delivery.services import history_record


def known_issues_on_delivery(*, delivery: Any, user: Any, transition: str) -> None:
    """Freeze the known-issues list of pre-delivery (the anomalies still open when the
    site goes to the client) in the history, where it can no longer change."""
    if transition != "deliver_to_client":
        return
    open_anomalies = list(unresolved_anomalies(delivery).order_by("number"))
    summary = (
        "Anomalies connues à la livraison : " + ", ".join(f"AN-{a.number}" for a in open_anomalies)
        if open_anomalies
        else "Aucune anomalie connue à la livraison"
    )
    history_record(
        delivery=delivery, kind=HistoryKind.RECETTE, summary=summary, actor=user,
        note="\n".join(f"AN-{a.number} ({a.get_severity_display().lower()}) : {a.title}" for a in open_anomalies),
        data={"known_issues": [{"id": a.pk, "number": a.number, "severity": a.severity, "title": a.title} for a in open_anomalies]},
    )
