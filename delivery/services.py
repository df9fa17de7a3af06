"""Every write on a delivery. Views call these; these call the lower apps explicitly.

Locking (DESIGN.md §Stage machine): transitions and ticks first lock the delivery row
with `select_for_update`, so a tick racing a transition is serialised behind it and the
gate is always evaluated on committed state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from checklists import services as checklist_services
from checklists.models import DeliveryItem
from delivery import gates
from delivery.models import ChangeRequest, Delivery, HistoryEntry, HistoryKind, RuleWaiver, StageDate
from delivery.rules import can_tick_item, can_trigger
from delivery.transitions import BY_NAME, TransitionSpec
from projects.models import Project
from projects.rules import is_agency
from projects.vocabulary import Stage


@dataclass
class TransitionResult:
    ok: bool
    delivery: Delivery
    blockers: list[gates.Blocker] = field(default_factory=list)
    error: str = ""


def history_record(
    *,
    delivery: Delivery,
    kind: str,
    summary: str,
    actor: Any = None,
    note: str = "",
    from_stage: str = "",
    to_stage: str = "",
    data: dict | None = None,
) -> HistoryEntry:
    return HistoryEntry.objects.create(
        delivery=delivery,
        kind=kind,
        summary=summary[:300],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=note,
        from_stage=from_stage,
        to_stage=to_stage,
        data=data or {},
    )


def _lock(delivery_id: int) -> Delivery:
    return Delivery.objects.select_for_update(of=("self",)).select_related("project").get(pk=delivery_id)


def _materialise(delivery: Delivery, stage: str) -> None:
    checklist_services.checklist_materialise(
        delivery=delivery,
        stage=stage,
        category=delivery.category,
        module_ids=delivery.modules.values_list("pk", flat=True),
    )


# --- creation ------------------------------------------------------------------------

@transaction.atomic
def delivery_create(
    *,
    project: Project,
    title: str,
    created_by: Any,
    category: int | None = None,
    modules: Iterable[Any] = (),
    origin: Delivery | None = None,
    planned_dates: dict[str, Any] | None = None,
) -> Delivery:
    """A delivery always starts at qualification (R1)."""
    delivery = Delivery.objects.create(project=project, title=title.strip(), category=category, created_by=created_by, origin=origin)
    delivery.modules.set(modules)
    now = timezone.now()
    StageDate.objects.bulk_create(
        [
            StageDate(
                delivery=delivery,
                stage=stage,
                planned_date=(planned_dates or {}).get(stage),
                started_at=now if stage == Stage.QUALIFICATION else None,
            )
            for stage in (
                Stage.QUALIFICATION, Stage.CADRAGE, Stage.PRODUCTION, Stage.PRE_DELIVERY,
                Stage.DELIVERY, Stage.GO_LIVE, Stage.FOLLOW_UP, Stage.MAINTENANCE,
            )
        ]
    )
    _materialise(delivery, Stage.QUALIFICATION)
    summary = "Livraison créée, en qualification"
    if origin is not None:
        summary = f"Livraison créée par requalification de « {origin.title} » (R7)"
    history_record(delivery=delivery, kind=HistoryKind.CREATED, summary=summary, actor=created_by, to_stage=Stage.QUALIFICATION)
    return delivery


def delivery_requalify(*, origin: Delivery, title: str, user: Any, note: str = "") -> Delivery:
    """R7: an out-of-scope request becomes a new delivery of the same project, at qualification."""
    if not is_agency(user):
        raise PermissionDenied("Seule l'agence requalifie une demande hors périmètre.")
    with transaction.atomic():
        new = delivery_create(project=origin.project, title=title, created_by=user, origin=origin)
        history_record(
            delivery=origin,
            kind=HistoryKind.NOTE,
            summary=f"Demande hors périmètre requalifiée en nouvelle livraison « {new.title} » (R7)",
            actor=user,
            note=note,
            data={"new_delivery_id": new.pk},
        )
    return new


# --- transitions ---------------------------------------------------------------------

def delivery_transition(
    *, delivery_id: int, name: str, user: Any, note: str = "", on_behalf_of: str = ""
) -> TransitionResult:
    """Move a delivery along one transition, or say exactly why not.

    Never raises for a refused transition: the result carries the blockers (or the
    reason), so the UI shows the same list as before the click.

    `user=None` with `on_behalf_of` (e.g. "client", "système") is for actions that come
    from the client portal or from scheduled work: R8 does not apply, the gates still do,
    and the history says who acted.
    """
    spec = BY_NAME.get(name)
    with transaction.atomic():
        delivery = _lock(delivery_id)
        if spec is None or spec.source != delivery.stage:
            return TransitionResult(
                ok=False, delivery=delivery, error="Cette action n'est plus possible : la livraison a changé d'étape."
            )
        if user is None and not on_behalf_of:
            raise ValueError("A transition without a user must say on whose behalf it runs.")
        if user is not None and not can_trigger(user, delivery, spec):
            return TransitionResult(
                ok=False, delivery=delivery, error="Cette étape relève d'une autre partie : vous ne pouvez pas la déclencher (R8)."
            )
        note = note.strip()
        if spec.needs_note and not note:
            return TransitionResult(ok=False, delivery=delivery, error="Indiquez le motif : il est conservé dans l'historique.")
        blockers, waived = gates.evaluate(delivery, name)
        if blockers:
            return TransitionResult(ok=False, delivery=delivery, blockers=blockers)
        _apply(delivery, spec, user=user, note=note, waived=waived, on_behalf_of=on_behalf_of)
    return TransitionResult(ok=True, delivery=delivery)


def _apply(
    delivery: Delivery, spec: TransitionSpec, *, user: Any, note: str, waived: list[gates.Blocker], on_behalf_of: str
) -> None:
    waived_items = [
        {"item_id": item.pk, "label": item.label, "justification": item.waiver_justification}
        for item in gates.waived_checklist_items(delivery)
    ]
    now = timezone.now()
    source = delivery.stage
    getattr(delivery, spec.name)()
    delivery.stage_entered_at = now
    update_fields = ["stage", "stage_entered_at"]
    if spec.name == "start_production" and delivery.frozen_scope is None:
        delivery.frozen_scope = delivery.scope_snapshot()  # R5: the scope is frozen after cadrage
        update_fields.append("frozen_scope")
    if spec.name == "refuse":
        delivery.refusal_reason = note
        update_fields.append("refusal_reason")
    delivery.save(update_fields=update_fields)
    if spec.kind == "forward":
        StageDate.objects.filter(delivery=delivery, stage=source).update(completed_at=now)
    StageDate.objects.filter(delivery=delivery, stage=delivery.stage, started_at__isnull=True).update(started_at=now)
    _materialise(delivery, delivery.stage)
    history_record(
        delivery=delivery,
        kind=HistoryKind.TRANSITION,
        summary=f"{Stage(source).label} → {Stage(delivery.stage).label}",
        actor=user,
        note=note,
        from_stage=source,
        to_stage=delivery.stage,
        data={
            "transition": spec.name,
            "waived_items": waived_items,
            "waived_rules": [{"code": b.code, "message": b.message} for b in waived],
            "on_behalf_of": on_behalf_of,
        },
    )
    # What each feature does on entering a stage (J+7 due date, rollout plan…): an explicit
    # table rather than signals, so a reader follows the request from here.
    from delivery.hooks import ON_ENTER

    for hook in ON_ENTER.get(delivery.stage, ()):
        hook(delivery=delivery, user=user, transition=spec.name)


# --- checklist -----------------------------------------------------------------------

def _locked_item(item_id: int) -> tuple[Delivery, DeliveryItem]:
    delivery_id = DeliveryItem.objects.values_list("delivery_id", flat=True).get(pk=item_id)
    delivery = _lock(delivery_id)
    item = DeliveryItem.objects.select_for_update().get(pk=item_id)
    return delivery, item


def item_set_done(*, item_id: int, user: Any, done: bool, comment: str = "", evidence_url: str = "") -> DeliveryItem:
    """Tick or untick an item under the delivery's lock, and record it."""
    with transaction.atomic():
        delivery, item = _locked_item(item_id)
        if not can_tick_item(user, item):
            raise PermissionDenied("Ce point relève d'une autre partie.")
        if item.stage != delivery.stage:
            raise ValidationError("Ce point appartient à une étape déjà validée : il ne peut plus changer.")
        if done:
            checklist_services.item_tick(item=item, user=user, comment=comment, evidence_url=evidence_url)
            history_record(
                delivery=delivery, kind=HistoryKind.TICK, summary=f"« {item.label} » coché", actor=user,
                note=item.comment, data={"item_id": item.pk, "evidence_url": item.evidence_url},
            )
        else:
            checklist_services.item_untick(item=item)
            history_record(
                delivery=delivery, kind=HistoryKind.UNTICK, summary=f"« {item.label} » décoché", actor=user,
                note=comment.strip(), data={"item_id": item.pk},
            )
    return item


def item_waive(*, item_id: int, user: Any, justification: str) -> DeliveryItem:
    """R9: a PM documents why a required item is skipped; the gate then counts it as done."""
    if not is_agency(user):
        raise PermissionDenied("Seul un chef de projet peut documenter une exception.")
    justification = justification.strip()
    if len(justification) < 10:
        raise ValidationError("Justifiez l'exception en une phrase au moins (10 caractères).")
    with transaction.atomic():
        delivery, item = _locked_item(item_id)
        if item.stage != delivery.stage:
            raise ValidationError("Ce point appartient à une étape déjà validée.")
        if item.waived:
            raise ValidationError("Ce point fait déjà l'objet d'une exception documentée.")
        checklist_services.item_waive(item=item, user=user, justification=justification)
        history_record(
            delivery=delivery, kind=HistoryKind.WAIVER, summary=f"Exception documentée sur « {item.label} »",
            actor=user, note=justification, data={"item_id": item.pk},
        )
    return item


def rule_waive(*, delivery_id: int, code: str, user: Any, justification: str) -> RuleWaiver:
    """R9: a documented exception to a waivable rule blocker (R3, R4, R6…)."""
    if not is_agency(user):
        raise PermissionDenied("Seul un chef de projet peut documenter une exception.")
    justification = justification.strip()
    if len(justification) < 10:
        raise ValidationError("Justifiez l'exception en une phrase au moins (10 caractères).")
    with transaction.atomic():
        delivery = _lock(delivery_id)
        waivable = {
            b.code: b
            for name in gates.GATES
            for gate in gates.GATES[name]
            for b in gate(delivery)
            if b.waivable
        }
        if code not in waivable:
            raise ValidationError("Cette règle ne bloque pas la livraison, ou ne peut pas faire l'objet d'une exception.")
        waiver = RuleWaiver.objects.create(
            delivery=delivery, code=code, stage=delivery.stage, justification=justification, created_by=user
        )
        history_record(
            delivery=delivery, kind=HistoryKind.RULE_WAIVER,
            summary=f"Exception documentée ({code}) : {waivable[code].message}", actor=user, note=justification,
            data={"code": code, "waiver_id": waiver.pk},
        )
    return waiver


# --- qualification grid and scope (R2, R5) ---------------------------------------------

@transaction.atomic
def delivery_update_qualification(
    *,
    delivery_id: int,
    user: Any,
    category: int | None,
    modules: Iterable[Any],
    maintenance_plan: str,
    hosting_provider: str,
    hosting_compatible: bool | None,
    change_request: ChangeRequest | None = None,
) -> Delivery:
    """Record the qualification grid. After cadrage, category and modules change only with
    an accepted change request (R5); the request becomes the new frozen scope."""
    if not is_agency(user):
        raise PermissionDenied("Seule l'agence qualifie un projet.")
    delivery = _lock(delivery_id)
    if delivery.is_closed:
        raise ValidationError("Cette livraison est close : sa qualification ne change plus.")
    before = delivery.scope_snapshot()
    after = {"category": category, "modules": sorted(m.pk for m in modules)}
    scope_changed = before != after
    if scope_changed and delivery.frozen_scope is not None:
        if change_request is None or change_request.delivery_id != delivery.pk or change_request.status != ChangeRequest.Status.ACCEPTED:
            raise ValidationError(
                "Le périmètre est figé depuis le cadrage : un changement de catégorie ou de modules "
                "demande un avenant ou un devis accepté (R5)."
            )
    delivery.category = category
    delivery.save(update_fields=["category"])
    delivery.modules.set(modules)
    if scope_changed and delivery.frozen_scope is not None:
        delivery.frozen_scope = after
        delivery.save(update_fields=["frozen_scope"])
    project = delivery.project
    project.maintenance_plan = maintenance_plan
    project.hosting_provider = hosting_provider.strip()
    project.hosting_compatible = hosting_compatible
    project.save(update_fields=["maintenance_plan", "hosting_provider", "hosting_compatible"])
    history_record(
        delivery=delivery,
        kind=HistoryKind.SCOPE_CHANGE if scope_changed and delivery.frozen_scope is not None else HistoryKind.QUALIFICATION,
        summary=(
            f"Périmètre modifié par « {change_request} » (R5)"
            if change_request is not None and scope_changed
            else "Grille de qualification mise à jour"
        ),
        actor=user,
        data={"before": before, "after": after, "change_request_id": getattr(change_request, "pk", None)},
    )
    return delivery


def change_request_create(
    *, delivery: Delivery, user: Any, title: str, kind: str, amount: Any = None, description: str = ""
) -> ChangeRequest:
    if not is_agency(user):
        raise PermissionDenied("Seule l'agence émet un avenant ou un devis.")
    with transaction.atomic():
        cr = ChangeRequest.objects.create(
            delivery=delivery, title=title.strip(), kind=kind, amount=amount, description=description.strip(), created_by=user
        )
        history_record(delivery=delivery, kind=HistoryKind.CHANGE_REQUEST, summary=f"{cr} créé", actor=user, data={"change_request_id": cr.pk})
    return cr


def change_request_decide(*, change_request: ChangeRequest, user: Any, status: str) -> ChangeRequest:
    if not is_agency(user):
        raise PermissionDenied("Seule l'agence enregistre la décision du client.")
    if status not in ChangeRequest.Status.values:
        raise ValidationError("Statut inconnu.")
    with transaction.atomic():
        change_request.status = status
        change_request.decided_at = timezone.now() if status in (ChangeRequest.Status.ACCEPTED, ChangeRequest.Status.REFUSED) else None
        change_request.save(update_fields=["status", "decided_at"])
        history_record(
            delivery=change_request.delivery, kind=HistoryKind.CHANGE_REQUEST,
            summary=f"{change_request} : {change_request.get_status_display().lower()}", actor=user,
            data={"change_request_id": change_request.pk, "status": status},
        )
    return change_request


# --- planning ------------------------------------------------------------------------

def stage_dates_plan(*, delivery_id: int, user: Any, planned: dict[str, Any]) -> Delivery:
    """The PM's planned date per stage (R17: planned vs actual). Only changed dates are written."""
    if not is_agency(user):
        raise PermissionDenied("Seule l'agence planifie les étapes.")
    with transaction.atomic():
        delivery = _lock(delivery_id)
        changes = []
        for row in StageDate.objects.filter(delivery=delivery, stage__in=list(planned)):
            new = planned[row.stage]
            if row.planned_date != new:
                changes.append(
                    f"{Stage(row.stage).label} : {row.planned_date.strftime('%d/%m/%Y') if row.planned_date else '—'}"
                    f" → {new.strftime('%d/%m/%Y') if new else '—'}"
                )
                row.planned_date = new
                row.save(update_fields=["planned_date"])
        if changes:
            history_record(
                delivery=delivery, kind=HistoryKind.NOTE, summary="Planning mis à jour", actor=user, note="\n".join(changes)
            )
    return delivery
