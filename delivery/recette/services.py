"""Every write of the recette. Views call these; numbering takes the delivery's row lock."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from delivery.models import Delivery, HistoryKind
from delivery.recette.csv_import import CaseRow
from delivery.recette.models import (
    Anomaly,
    AnomalyStatus,
    PVVersion,
    RecetteCase,
    RecetteRun,
    ResultStatus,
    RunKind,
    RunResult,
    Severity,
)
from delivery.recette.rules import can_decide_exception, can_execute, can_generate_pv, can_manage_cahier
from delivery.services import history_record
from projects.vocabulary import Stage

MIN_JUSTIFICATION = 10


def _lock(delivery_id: int) -> Delivery:
    return Delivery.objects.select_for_update(of=("self",)).select_related("project").get(pk=delivery_id)


def _require(predicate, user: Any, delivery: Delivery, message: str) -> None:
    if not predicate(user, delivery):
        raise PermissionDenied(message)


def _next_number(model, delivery: Delivery) -> int:
    return (model.objects.filter(delivery=delivery).aggregate(m=Max("number"))["m"] or 0) + 1


# --- cahier de recette ----------------------------------------------------------------------

def case_create(
    *, delivery: Delivery, user: Any, reference: str, title: str, steps: str = "", expected: str = "",
    module: Any = None, priority: str = "normal",
) -> RecetteCase:
    _require(can_manage_cahier, user, delivery, "Seule l'agence rédige le cahier de recette.")
    reference = reference.strip()
    if RecetteCase.objects.filter(delivery=delivery, reference=reference).exists():
        raise ValidationError({"reference": f"La référence « {reference} » existe déjà dans ce cahier."})
    with transaction.atomic():
        case = RecetteCase.objects.create(
            delivery=delivery, reference=reference, title=title.strip(), steps=steps.strip(),
            expected=expected.strip(), module=module, priority=priority,
        )
        history_record(delivery=delivery, kind=HistoryKind.RECETTE, summary=f"Cas de recette {case.reference} ajouté", actor=user)
    return case


def case_update(*, case: RecetteCase, user: Any, **values: Any) -> RecetteCase:
    _require(can_manage_cahier, user, case.delivery, "Seule l'agence rédige le cahier de recette.")
    reference = values.get("reference", case.reference).strip()
    if RecetteCase.objects.filter(delivery_id=case.delivery_id, reference=reference).exclude(pk=case.pk).exists():
        raise ValidationError({"reference": f"La référence « {reference} » existe déjà dans ce cahier."})
    for name in ("reference", "title", "steps", "expected", "module", "priority"):
        if name in values:
            value = values[name]
            setattr(case, name, value.strip() if isinstance(value, str) else value)
    case.save()
    return case


def case_delete(*, case: RecetteCase, user: Any) -> None:
    _require(can_manage_cahier, user, case.delivery, "Seule l'agence rédige le cahier de recette.")
    if case.results.exists():
        raise ValidationError("Ce cas a déjà des résultats de recette : il fait partie de la preuve et reste au cahier.")
    with transaction.atomic():
        history_record(
            delivery=case.delivery, kind=HistoryKind.RECETTE, summary=f"Cas de recette {case.reference} supprimé", actor=user
        )
        case.delete()


def cases_import(*, delivery: Delivery, user: Any, rows: list[CaseRow]) -> list[RecetteCase]:
    """All or nothing: the rows were validated by `csv_preview`; a reference taken
    meanwhile makes the whole import fail rather than a partial cahier."""
    _require(can_manage_cahier, user, delivery, "Seule l'agence rédige le cahier de recette.")
    if not rows:
        raise ValidationError("Aucun cas à importer.")
    try:
        with transaction.atomic():
            created = RecetteCase.objects.bulk_create(
                [
                    RecetteCase(
                        delivery=delivery, reference=r.reference, title=r.title, steps=r.steps,
                        expected=r.expected, module=r.module, priority=r.priority,
                    )
                    for r in rows
                ]
            )
            history_record(
                delivery=delivery, kind=HistoryKind.RECETTE, summary=f"{len(created)} cas de recette importés (CSV)",
                actor=user, data={"references": [r.reference for r in rows][:200]},
            )
    except IntegrityError as exc:
        raise ValidationError("Une référence du fichier existe déjà dans le cahier : rien n'a été importé.") from exc
    return created


def cases_copy(*, source: Delivery, target: Delivery, user: Any) -> tuple[int, list[str]]:
    """Copy another delivery's cahier; references already in the target are skipped (and listed)."""
    _require(can_manage_cahier, user, target, "Seule l'agence rédige le cahier de recette.")
    if source.pk == target.pk:
        raise ValidationError("Choisissez une autre livraison que celle-ci.")
    existing = set(RecetteCase.objects.filter(delivery=target).values_list("reference", flat=True))
    originals = list(RecetteCase.objects.filter(delivery=source).order_by("reference"))
    if not originals:
        raise ValidationError("Cette livraison n'a aucun cas de recette à copier.")
    skipped = [c.reference for c in originals if c.reference in existing]
    with transaction.atomic():
        RecetteCase.objects.bulk_create(
            [
                RecetteCase(
                    delivery=target, reference=c.reference, title=c.title, steps=c.steps,
                    expected=c.expected, module_id=c.module_id, priority=c.priority,
                )
                for c in originals
                if c.reference not in existing
            ]
        )
        copied = len(originals) - len(skipped)
        history_record(
            delivery=target, kind=HistoryKind.RECETTE,
            summary=f"{copied} cas de recette copiés depuis « {source} »", actor=user,
            data={"source_delivery_id": source.pk, "skipped": skipped},
        )
    return copied, skipped


# --- runs and results -----------------------------------------------------------------------

RUN_STAGE = {RunKind.INTERNAL: Stage.PRE_DELIVERY, RunKind.CLIENT: Stage.DELIVERY}


def run_create(*, delivery: Delivery, user: Any, kind: str, environment: str) -> RecetteRun:
    _require(can_execute, user, delivery, "Vous ne participez pas à cette livraison.")
    kind = RunKind(kind)
    with transaction.atomic():
        delivery = _lock(delivery.pk)
        if delivery.stage != RUN_STAGE[kind]:
            raise ValidationError(
                f"Une {kind.label.lower()} se lance à l'étape « {Stage(RUN_STAGE[kind]).label} »."
            )
        if kind == RunKind.CLIENT and user.is_partner:
            raise PermissionDenied("La recette client est menée par l'agence.")
        if not RecetteCase.objects.filter(delivery=delivery).exists():
            raise ValidationError("Le cahier de recette est vide : ajoutez des cas avant de lancer une campagne.")
        run = RecetteRun.objects.create(
            delivery=delivery, number=_next_number(RecetteRun, delivery), kind=kind,
            environment=environment, stage=delivery.stage, started_by=user,
        )
        history_record(delivery=delivery, kind=HistoryKind.RECETTE, summary=f"{run} lancée", actor=user, data={"run_id": run.pk})
    return run


def result_set(*, run: RecetteRun, case: RecetteCase, user: Any, status: str, comment: str = "") -> RunResult:
    """One click of the tester. Results are frozen once the delivery left the run's stage."""
    delivery = run.delivery
    _require(can_execute, user, delivery, "Vous ne participez pas à cette livraison.")
    if case.delivery_id != run.delivery_id:
        raise ValidationError("Ce cas n'appartient pas à cette livraison.")
    if status not in ResultStatus.values:
        raise ValidationError("Résultat inconnu.")
    if delivery.stage != run.stage:
        raise ValidationError("Cette campagne est close : la livraison a changé d'étape.")
    result, _ = RunResult.objects.update_or_create(
        run=run, case=case,
        defaults={"status": status, "tester": user, "at": timezone.now(), "comment": comment.strip()[:500]},
    )
    return result


# --- anomalies ------------------------------------------------------------------------------

def anomaly_create(
    *, delivery: Delivery, user: Any, title: str, severity: str, description: str = "",
    case: RecetteCase | None = None, run: RecetteRun | None = None, client_visible: bool = False,
) -> Anomaly:
    _require(can_execute, user, delivery, "Vous ne participez pas à cette livraison.")
    if (case and case.delivery_id != delivery.pk) or (run and run.delivery_id != delivery.pk):
        raise ValidationError("Le cas ou la campagne n'appartient pas à cette livraison.")
    if severity not in Severity.values:
        raise ValidationError("Gravité inconnue.")
    with transaction.atomic():
        delivery = _lock(delivery.pk)
        anomaly = Anomaly.objects.create(
            delivery=delivery, number=_next_number(Anomaly, delivery), title=title.strip(),
            description=description.strip(), severity=severity, case=case, run=run,
            client_visible=client_visible, created_by=user,
        )
        history_record(
            delivery=delivery, kind=HistoryKind.RECETTE,
            summary=f"Anomalie AN-{anomaly.number} ({anomaly.get_severity_display().lower()}) : {anomaly.title}",
            actor=user, data={"anomaly_id": anomaly.pk},
        )
    return anomaly


def anomaly_update(
    *, anomaly: Anomaly, user: Any, title: str, severity: str, description: str = "",
    case: RecetteCase | None = None, client_visible: bool = False,
) -> Anomaly:
    _require(can_execute, user, anomaly.delivery, "Vous ne participez pas à cette livraison.")
    if anomaly.status == AnomalyStatus.WONT_FIX and anomaly.severity != severity and severity == Severity.BLOCKING:
        if not anomaly.wont_fix_justification:
            raise ValidationError("Une anomalie bloquante non corrigée demande une exception documentée (R9).")
    if client_visible != anomaly.client_visible and not can_decide_exception(user, anomaly.delivery):
        raise PermissionDenied("Seule l'agence décide de ce que voit le client.")
    with transaction.atomic():
        if severity != anomaly.severity:
            history_record(
                delivery=anomaly.delivery, kind=HistoryKind.RECETTE,
                summary=f"AN-{anomaly.number} : gravité {Severity(anomaly.severity).label.lower()} → {Severity(severity).label.lower()}",
                actor=user, data={"anomaly_id": anomaly.pk},
            )
        anomaly.title, anomaly.severity, anomaly.description = title.strip(), severity, description.strip()
        anomaly.case, anomaly.client_visible = case, client_visible
        anomaly.save()
    return anomaly


def anomaly_set_status(*, anomaly: Anomaly, user: Any, status: str, justification: str = "") -> Anomaly:
    """R9: leaving a blocking anomaly unfixed is an exception only a PM documents."""
    delivery = anomaly.delivery
    _require(can_execute, user, delivery, "Vous ne participez pas à cette livraison.")
    if status not in AnomalyStatus.values:
        raise ValidationError("Statut inconnu.")
    justification = justification.strip()
    if status == AnomalyStatus.WONT_FIX:
        if anomaly.severity == Severity.BLOCKING:
            if not can_decide_exception(user, delivery):
                raise PermissionDenied("Seul un chef de projet décide de ne pas corriger une anomalie bloquante (R9).")
            if len(justification) < MIN_JUSTIFICATION:
                raise ValidationError(
                    "Une anomalie bloquante non corrigée est une exception : justifiez-la en une phrase au moins (R9)."
                )
        elif not can_decide_exception(user, delivery):
            raise PermissionDenied("Seule l'agence décide qu'une anomalie ne sera pas corrigée.")
    with transaction.atomic():
        before = anomaly.get_status_display()
        anomaly.status = status
        anomaly.wont_fix_justification = justification if status == AnomalyStatus.WONT_FIX else ""
        anomaly.status_changed_by = user
        anomaly.status_changed_at = timezone.now()
        anomaly.save(update_fields=["status", "wont_fix_justification", "status_changed_by", "status_changed_at"])
        is_exception = status == AnomalyStatus.WONT_FIX and anomaly.severity == Severity.BLOCKING
        history_record(
            delivery=delivery,
            kind=HistoryKind.WAIVER if is_exception else HistoryKind.RECETTE,
            summary=(
                f"Exception documentée : anomalie bloquante AN-{anomaly.number} non corrigée"
                if is_exception
                else f"AN-{anomaly.number} : {before.lower()} → {anomaly.get_status_display().lower()}"
            ),
            actor=user, note=anomaly.wont_fix_justification,
            data={"anomaly_id": anomaly.pk, "status": status},
        )
    return anomaly


# --- PV de recette --------------------------------------------------------------------------

def pv_generate(*, delivery: Delivery, user: Any) -> PVVersion:
    """Freeze the current PV into a new numbered version with its PDF and SHA-256."""
    from communications.pdf import sha256_hex
    from delivery.recette.pdf import pv_render_snapshot, pv_snapshot
    from delivery.recette.selectors import pv_compute

    _require(can_generate_pv, user, delivery, "Seule l'agence établit le PV de recette.")
    with transaction.atomic():
        delivery = _lock(delivery.pk)
        if delivery.stage in (Stage.QUALIFICATION, Stage.CADRAGE, Stage.PRODUCTION, Stage.REFUSED):
            raise ValidationError("Le PV de recette s'établit à partir de la recette interne (pré-livraison).")
        summary = pv_compute(delivery)
        number = _next_number(PVVersion, delivery)
        snapshot = pv_snapshot(summary, number=number, generated_by=user)
        pdf = pv_render_snapshot(snapshot)
        version = PVVersion(
            delivery=delivery, number=number, run=summary.run, decision=summary.decision,
            ok_rate=summary.progress.ok_rate_display, snapshot=snapshot, sha256=sha256_hex(pdf),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        version.file.save(f"pv-recette-{delivery.pk}-v{number}.pdf", ContentFile(pdf), save=False)
        version.save()
        history_record(
            delivery=delivery, kind=HistoryKind.PV,
            summary=f"PV de recette v{number} généré : {summary.decision_label}", actor=user,
            data={"pv_version_id": version.pk, "decision": summary.decision, "sha256": version.sha256},
        )
    return version
