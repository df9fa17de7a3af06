"""The PV de recette as a PDF.

A version stores a JSON snapshot of everything the document shows, so the PDF of a
version can be rendered again later (e.g. with the client's validation in the signature
block) without reading the live, changing recette.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from checklists.models import DeliveryItem
from communications.pdf import render_pdf
from delivery.recette.models import AnomalyStatus, Decision, PVVersion, RunKind, Severity
from delivery.recette.selectors import PVSummary, fr_percent

TEMPLATE = "recette/pv_pdf.html"


def _dt(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def _anomaly(a) -> dict[str, Any]:
    return {
        "number": a.number,
        "ref": f"AN-{a.number}",
        "title": a.title,
        "severity": a.severity,
        "severity_label": Severity(a.severity).label,
        "status_label": AnomalyStatus(a.status).label,
        "case": a.case.reference if a.case_id else "",
        "client_visible": a.client_visible,
    }


def pv_snapshot(summary: PVSummary, *, number: int, generated_by: Any) -> dict[str, Any]:
    """Everything the PV shows, as plain JSON, frozen at generation."""
    delivery = summary.delivery
    project = delivery.project
    run = summary.run
    p = summary.progress
    anomalies = list(delivery.anomalies.select_related("case").order_by("number"))
    last_result_at = max((r.at for _, r in summary.rows if r is not None), default=None)
    dates = {d.stage: d for d in delivery.stage_dates.all()}
    go_live = dates.get("go_live")
    waived_items = DeliveryItem.objects.filter(delivery=delivery, waived=True).select_related("waived_by")
    exceptions = [
        {"what": f"Checklist : {i.label}", "justification": i.waiver_justification, "who": _person(i.waived_by), "when": _dt(i.waived_at)}
        for i in waived_items
    ]
    exceptions += [
        {"what": f"Règle {w.code}", "justification": w.justification, "who": _person(w.created_by), "when": _dt(w.created_at)}
        for w in delivery.rule_waivers.select_related("created_by").order_by("created_at")
    ]
    exceptions += [
        {
            "what": f"Anomalie bloquante AN-{a.number} non corrigée : {a.title}",
            "justification": a.wont_fix_justification,
            "who": _person(a.status_changed_by),
            "when": _dt(a.status_changed_at),
        }
        for a in anomalies
        if a.status == AnomalyStatus.WONT_FIX and a.severity == Severity.BLOCKING
    ]
    return {
        "version": number,
        "generated_at": _dt(timezone.now()),
        "generated_by": _person(generated_by),
        "agency": settings.AGENCY_NAME,
        "client": project.client.name,
        "project": project.name,
        "delivery": delivery.title,
        "category": delivery.get_category_display() if delivery.category else "",
        "pm": _person(project.pm),
        "partner": project.partner.name if project.partner_id else "",
        "preprod_url": project.preprod_url,
        "run": {
            "number": run.number,
            "kind": RunKind(run.kind).label,
            "environment": run.get_environment_display(),
            "started_at": _dt(run.started_at),
            "last_result_at": _dt(last_result_at),
        } if run else None,
        "planned_go_live": go_live.planned_date.strftime("%d/%m/%Y") if go_live and go_live.planned_date else "",
        "figures": {
            "total": p.total,
            "executed": p.executed,
            "passed": p.passed,
            "failed": p.failed,
            "blocked": p.blocked,
            "not_run": p.not_run,
            "ok_rate": str(p.ok_rate_display),
            "ok_rate_label": fr_percent(p.ok_rate_display),
            "threshold": str(summary.threshold),
            "threshold_label": fr_percent(summary.threshold),
            "max_blocking": summary.max_blocking,
            "blocking_open": len(summary.blocking),
        },
        "decision": summary.decision,
        "decision_label": Decision(summary.decision).label,
        "reasons": summary.reasons,
        "cases": [
            {
                "reference": case.reference,
                "title": case.title,
                "module": case.module.name if case.module_id else "",
                "status": result.status if result else "not_run",
                "status_label": result.get_status_display() if result else "Non passé",
                "tester": _person(result.tester) if result else "",
                "at": _dt(result.at) if result else "",
                "comment": result.comment if result else "",
            }
            for case, result in summary.rows
        ],
        # The client signs this document (R13): closed internal anomalies stay internal, but
        # nothing still open is hidden from someone accepting the delivery.
        "anomalies": [_anomaly(a) for a in anomalies if a.client_visible or a.is_unresolved],
        "reserves": [_anomaly(a) for a in summary.reserves],
        "exceptions": exceptions,
    }


def pv_render_snapshot(snapshot: dict[str, Any], validation: Any = None) -> bytes:
    return render_pdf(TEMPLATE, {"pv": snapshot, "validation": validation})


def pv_render(pv_version: PVVersion, validation: Any = None) -> bytes:
    """The version's PV again, optionally with the client's validation in the signature
    block (`validation` has signer_name, signed_at, statement_sha256, decision)."""
    return pv_render_snapshot(pv_version.snapshot, validation)
