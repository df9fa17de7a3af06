"""Every write of the go-live features: probes, J+7 follow-up, canary rollout, the sweep.

Network calls (probe, metrics, webhook) never run inside a transaction: a task first
claims its row with a conditional update, talks to the outside world, then records the
answer under the delivery's lock and re-checks that nothing changed meanwhile.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from checklists import services as checklist_services
from checklists.models import DeliveryItem
from communications import services as outbox
from delivery.golive import notify
from delivery.golive.dates import PARIS, follow_up_dates
from delivery.golive.models import (
    DEFAULT_PLAN,
    FollowUp,
    Probe,
    Rollout,
    RolloutSettings,
    RolloutStep,
    TrafficBackend,
    TrafficCall,
)
from delivery.golive.probe import ProbeError, error_rate_from_json, post_json, probe_url
from delivery.models import Delivery, HistoryKind
from delivery.rules import is_delivery_partner
from delivery.services import history_record
from projects.rules import is_agency
from projects.vocabulary import Stage

logger = logging.getLogger(__name__)

OPEN_STAGES = (Stage.GO_LIVE, Stage.FOLLOW_UP)
CLAIM_TTL = timedelta(minutes=10)  # a claimed row whose task vanished is claimed again after this
SWEEP_LIMIT = 1000
WEBHOOK_MAX_ATTEMPTS = 5
MIN_REASON = 10

SITE_ITEM = "site accessible"
HTTPS_ITEM = "https ok"


def _lock_delivery(delivery_id: int) -> Delivery:
    return Delivery.objects.select_for_update(of=("self",)).select_related("project__pm", "project__partner").get(pk=delivery_id)


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError(f"Indiquez le motif {what} en une phrase au moins ({MIN_REASON} caractères) : il est conservé dans l'historique.")
    return reason


# --- probes (R11) -----------------------------------------------------------------------

def _probe_summary(probe: Probe) -> str:
    if not probe.reachable:
        return f"Site injoignable : {probe.error or probe.status_code}"
    parts = [f"HTTP {probe.status_code} en {probe.response_ms} ms"]
    if probe.https:
        if probe.tls_valid:
            parts.append(f"certificat valide {probe.tls_days_left} j")
        else:
            parts.append("certificat invalide")
    else:
        parts.append("sans HTTPS")
    return ", ".join(parts)


def probe_record(*, delivery: Delivery, url: str, purpose: str, user: Any = None, **probe_kwargs: Any) -> Probe:
    """Run the probe (outside any transaction) and store the result as evidence."""
    result = probe_url(url, **probe_kwargs)
    probe = Probe.objects.create(
        delivery=delivery,
        purpose=purpose,
        url=url[:500],
        final_url=result.final_url[:500],
        actor=user if getattr(user, "is_authenticated", False) else None,
        reachable=result.reachable,
        status_code=result.status_code,
        response_ms=result.response_ms,
        https=result.https,
        tls_valid=result.tls_valid,
        tls_expires_at=result.tls_expires_at,
        tls_days_left=result.tls_days_left,
        error=result.error[:500],
    )
    probe.body = result.body  # not stored; the health check reads it once
    return probe


def probe_run(*, delivery_id: int, user: Any = None, **probe_kwargs: Any) -> Probe:
    """Check the production URL and record it on « Site accessible » / « HTTPS OK » (R11).

    A passing check ticks the item with the measure as its comment; a failing one never
    unticks what a person confirmed, it shows up on the page and in the history.
    """
    delivery = Delivery.objects.select_related("project").get(pk=delivery_id)
    if user is not None and not (is_agency(user) or is_delivery_partner(user, delivery)):
        raise PermissionDenied("Vous ne pouvez pas vérifier ce site.")
    url = delivery.project.production_url
    if not url:
        raise ValidationError("Renseignez d'abord l'URL de production du projet.")
    probe = probe_record(delivery=delivery, url=url, purpose=Probe.Purpose.GO_LIVE, user=user, **probe_kwargs)
    with transaction.atomic():
        delivery = _lock_delivery(delivery_id)
        history_record(
            delivery=delivery, kind=HistoryKind.PROBE, summary=f"Vérification de {url} : {_probe_summary(probe)}",
            actor=user, data={"probe_id": probe.pk},
        )
        if delivery.stage == Stage.GO_LIVE:
            _tick_from_probe(delivery, probe, user)
    return probe


def _tick_from_probe(delivery: Delivery, probe: Probe, user: Any) -> None:
    passed = {SITE_ITEM: probe.reachable, HTTPS_ITEM: probe.https_ok}
    items = DeliveryItem.objects.select_for_update().filter(delivery=delivery, stage=Stage.GO_LIVE, done=False)
    for item in items:
        key = item.label.strip().lower()
        if not passed.get(key):
            continue
        comment = f"Vérifié automatiquement le {timezone.localtime(probe.checked_at):%d/%m/%Y %H:%M} : {_probe_summary(probe)}"
        checklist_services.item_tick(item=item, user=user if getattr(user, "is_authenticated", False) else None,
                                     comment=comment, evidence_url=probe.final_url or probe.url)
        history_record(
            delivery=delivery, kind=HistoryKind.TICK, summary=f"« {item.label} » coché (vérification automatique)",
            actor=user, note=comment, data={"item_id": item.pk, "probe_id": probe.pk},
        )


# --- J+7 follow-up (R12) -----------------------------------------------------------------

def follow_up_schedule(*, delivery: Delivery, went_live_at: datetime | None = None) -> FollowUp:
    went_live_at = went_live_at or timezone.now()
    due, escalate = follow_up_dates(went_live_at)
    follow_up, created = FollowUp.objects.update_or_create(
        delivery=delivery,
        defaults={"went_live_at": went_live_at, "due_at": due, "escalate_at": escalate,
                  "reminder_queued_at": None, "reminder_sent_at": None,
                  "escalation_queued_at": None, "escalated_at": None},
    )
    history_record(
        delivery=delivery, kind=HistoryKind.FOLLOW_UP,
        summary=f"Suivi J+7 prévu le {timezone.localtime(due, PARIS):%d/%m/%Y à %H:%M}",
        data={"follow_up_id": follow_up.pk, "due_at": due.isoformat()},
    )
    return follow_up


def _open_deliveries():
    # A subquery on the foreign key, not a join: with a join Django turns the update into
    # `WHERE id IN (SELECT …)`, and PostgreSQL does not re-check that subquery after
    # waiting for a concurrent claim's row lock, so two workers would both "win".
    return Delivery.objects.filter(stage__in=OPEN_STAGES).values("pk")


def follow_up_remind(*, follow_up_id: int) -> bool:
    """Send the J+7 reminder once: the conditional update is the claim (exactly one caller gets 1)."""
    now = timezone.now()
    with transaction.atomic():
        claimed = FollowUp.objects.filter(
            pk=follow_up_id, reminder_sent_at__isnull=True, due_at__lte=now, delivery_id__in=_open_deliveries()
        ).update(reminder_sent_at=now)
        if claimed != 1:
            return False
        follow_up = FollowUp.objects.select_related("delivery__project__pm", "delivery__project__partner").get(pk=follow_up_id)
        delivery = follow_up.delivery
        project = delivery.project
        notify.notify(delivery=delivery, key="follow_up_reminder", to=notify.partner_emails(project) + notify.pm_emails(project),
                      due_at=follow_up.due_at)
        history_record(delivery=delivery, kind=HistoryKind.FOLLOW_UP, summary="Rappel J+7 envoyé au partenaire et au CDP",
                       data={"follow_up_id": follow_up.pk})
    return True


def follow_up_escalate(*, follow_up_id: int) -> bool:
    """Tell the PM, once, that J+7 is still open two days after it fell due."""
    now = timezone.now()
    with transaction.atomic():
        claimed = FollowUp.objects.filter(
            pk=follow_up_id, escalated_at__isnull=True, escalate_at__lte=now, delivery_id__in=_open_deliveries()
        ).update(escalated_at=now)
        if claimed != 1:
            return False
        follow_up = FollowUp.objects.select_related("delivery__project__pm").get(pk=follow_up_id)
        delivery = follow_up.delivery
        notify.notify(delivery=delivery, key="follow_up_escalation", to=notify.pm_emails(delivery.project), due_at=follow_up.due_at)
        history_record(delivery=delivery, kind=HistoryKind.FOLLOW_UP, summary="J+7 en retard : escalade envoyée au CDP",
                       data={"follow_up_id": follow_up.pk})
    return True


# --- canary rollout (R16) ------------------------------------------------------------------

def rollout_settings_for(project) -> RolloutSettings:
    return RolloutSettings.objects.get_or_create(project=project)[0]


def rollout_settings_update(*, project, user: Any, backend: str, webhook_url: str, metrics_url: str,
                            max_error_rate: Decimal, auto_advance: bool, regenerate_secret: bool = False) -> RolloutSettings:
    if not is_agency(user):
        raise PermissionDenied("Seul un chef de projet règle le déploiement progressif.")
    if backend not in TrafficBackend.values:
        raise ValidationError("Mode de pilotage du trafic inconnu.")
    if backend == TrafficBackend.WEBHOOK and not webhook_url:
        raise ValidationError("Le mode webhook demande l'URL du webhook.")
    settings_row = rollout_settings_for(project)
    settings_row.backend = backend
    settings_row.webhook_url = webhook_url
    settings_row.metrics_url = metrics_url
    settings_row.max_error_rate = max_error_rate
    settings_row.auto_advance = auto_advance
    if regenerate_secret:
        from delivery.golive.models import new_webhook_secret

        settings_row.webhook_secret = new_webhook_secret()
    settings_row.full_clean()
    settings_row.save()
    # Running rollouts of the project follow the new backend from their next step on.
    Rollout.objects.filter(delivery__project=project, status__in=[Rollout.Status.PLANNED, Rollout.Status.RUNNING,
                                                                   Rollout.Status.PAUSED, Rollout.Status.HALTED]
                           ).update(backend=backend)
    return settings_row


def rollout_plan_create(*, delivery: Delivery, user: Any = None, plan: tuple[tuple[int, int], ...] = DEFAULT_PLAN) -> Rollout:
    """A rollout plan (not started): default 5 %/48 h, 20 %/24 h, 50 %/24 h, 100 %."""
    if user is not None and not is_agency(user):
        raise PermissionDenied("Seul un chef de projet décide d'un déploiement progressif.")
    if delivery.stage not in (Stage.DELIVERY, Stage.GO_LIVE):
        raise ValidationError("Un déploiement progressif se prépare à la livraison ou à la mise en production.")
    if Rollout.objects.filter(delivery=delivery).exists():
        raise ValidationError("Cette livraison a déjà un plan de déploiement progressif.")
    if not plan or plan[-1][0] != 100 or any(b[0] <= a[0] for a, b in zip(plan, plan[1:])):
        raise ValidationError("Les étapes doivent augmenter jusqu'à 100 %.")
    options = rollout_settings_for(delivery.project)
    rollout = Rollout.objects.create(delivery=delivery, backend=options.backend, auto_advance=options.auto_advance)
    RolloutStep.objects.bulk_create(
        RolloutStep(rollout=rollout, position=i, percent=percent, window=timedelta(hours=hours))
        for i, (percent, hours) in enumerate(plan)
    )
    history_record(
        delivery=delivery, kind=HistoryKind.ROLLOUT, actor=user,
        summary="Plan de déploiement progressif créé : " + " → ".join(f"{p} %" + (f" ({h} h)" if h else "") for p, h in plan),
        data={"rollout_id": rollout.pk},
    )
    return rollout


def _locked_rollout(rollout_id: int) -> tuple[Delivery, Rollout]:
    delivery_id = Rollout.objects.values_list("delivery_id", flat=True).get(pk=rollout_id)
    delivery = _lock_delivery(delivery_id)
    rollout = Rollout.objects.select_for_update().get(pk=rollout_id)
    rollout.delivery = delivery
    return delivery, rollout


def _current(rollout: Rollout) -> RolloutStep | None:
    return RolloutStep.objects.filter(rollout=rollout, position=rollout.current_position).first()


def _require_pm(user: Any) -> None:
    if not is_agency(user):
        raise PermissionDenied("Seul un chef de projet pilote le déploiement progressif.")


def _send_traffic(rollout: Rollout, *, percent: int, step: RolloutStep | None, actor: Any, reason: str = "") -> None:
    """Ask the backend for `percent` of the traffic (0 = roll back)."""
    delivery = rollout.delivery
    # An older instruction still being retried must never land after this one.
    TrafficCall.objects.filter(rollout=rollout, status=TrafficCall.Status.PENDING).update(status=TrafficCall.Status.CANCELLED)
    if rollout.backend == TrafficBackend.WEBHOOK:
        options = rollout_settings_for(delivery.project)
        payload = {
            "event": "rollback" if percent == 0 else "set_traffic",
            "delivery_id": delivery.pk,
            "project": delivery.project.name,
            "production_url": delivery.project.production_url,
            "percent": percent,
            "step": step.position + 1 if step and percent else None,
            "reason": reason,
        }
        call = TrafficCall.objects.create(
            rollout=rollout, step=step if percent else None, percent=percent, url=options.webhook_url, payload=payload,
            next_attempt_at=timezone.now(),
        )
        from delivery.golive import tasks

        tasks.traffic_call_send.delay_on_commit(call.pk)
        summary = f"Webhook de trafic appelé : {percent} %"
    elif percent == 0:
        # Manual rollback: nothing to confirm afterwards, so tell partner and PM why and what to do.
        project = delivery.project
        notify.notify(delivery=delivery, key="rollout_halted", to=notify.partner_emails(project) + notify.pm_emails(project),
                      percent=step.percent if step else 0,
                      reason=f"retour arrière décidé par le chef de projet, remettez tout le trafic sur l'ancienne version — {reason}")
        summary = "Partenaire invité à remettre tout le trafic sur l'ancienne version"
    else:
        project = delivery.project
        notify.notify(delivery=delivery, key="rollout_step_manual", to=notify.partner_emails(project), percent=percent, reason=reason)
        summary = f"Partenaire invité à régler le trafic à {percent} %"
    history_record(delivery=delivery, kind=HistoryKind.ROLLOUT, summary=summary, actor=actor, note=reason,
                   data={"rollout_id": rollout.pk, "percent": percent})


def _step_begin(rollout: Rollout, step: RolloutStep, *, actor: Any) -> None:
    rollout.current_position = step.position
    rollout.save(update_fields=["current_position", "status", "paused_at", "started_at"])
    step.status = RolloutStep.Status.APPLYING
    step.save(update_fields=["status"])
    _send_traffic(rollout, percent=step.percent, step=step, actor=actor)


def _traffic_applied(rollout: Rollout, step: RolloutStep, *, actor: Any, how: str) -> None:
    now = timezone.now()
    step.traffic_set_at = now
    step.traffic_set_by = actor if getattr(actor, "is_authenticated", False) else None
    delivery = rollout.delivery
    if step.percent >= 100:
        step.status = RolloutStep.Status.PASSED
        step.save(update_fields=["traffic_set_at", "traffic_set_by", "status"])
        rollout.status = Rollout.Status.COMPLETED
        rollout.completed_at = now
        rollout.save(update_fields=["status", "completed_at"])
        project = delivery.project
        notify.notify(delivery=delivery, key="rollout_completed", to=notify.pm_emails(project) + notify.partner_emails(project), percent=100)
        history_record(delivery=delivery, kind=HistoryKind.ROLLOUT, actor=actor,
                       summary=f"Trafic à 100 % ({how}) : déploiement progressif terminé", data={"rollout_id": rollout.pk})
        return
    step.status = RolloutStep.Status.OBSERVING
    step.observe_until = now + step.window
    step.save(update_fields=["traffic_set_at", "traffic_set_by", "status", "observe_until"])
    history_record(
        delivery=delivery, kind=HistoryKind.ROLLOUT, actor=actor,
        summary=f"Trafic à {step.percent} % ({how}) : observation jusqu'au {timezone.localtime(step.observe_until):%d/%m %H:%M}",
        data={"rollout_id": rollout.pk, "step": step.position},
    )


def rollout_start(*, rollout_id: int, user: Any) -> Rollout:
    _require_pm(user)
    with transaction.atomic():
        delivery, rollout = _locked_rollout(rollout_id)
        if delivery.stage != Stage.GO_LIVE:
            raise ValidationError("Le déploiement progressif démarre une fois la livraison en mise en production.")
        if rollout.status not in (Rollout.Status.PLANNED, Rollout.Status.ROLLED_BACK):
            raise ValidationError("Ce déploiement est déjà en cours.")
        restart = rollout.status == Rollout.Status.ROLLED_BACK
        RolloutStep.objects.filter(rollout=rollout).update(
            status=RolloutStep.Status.PENDING, traffic_set_at=None, traffic_set_by=None, observe_until=None,
            check_queued_at=None, checked_at=None, healthy=None, health={}, skip_reason="",
        )
        rollout.status = Rollout.Status.RUNNING
        rollout.started_at = timezone.now()
        rollout.paused_at = None
        rollout.backend = rollout_settings_for(delivery.project).backend
        rollout.save(update_fields=["backend"])
        history_record(delivery=delivery, kind=HistoryKind.ROLLOUT, actor=user,
                       summary="Déploiement progressif relancé" if restart else "Déploiement progressif démarré",
                       data={"rollout_id": rollout.pk})
        _step_begin(rollout, RolloutStep.objects.get(rollout=rollout, position=0), actor=user)
    return rollout


def rollout_traffic_confirm(*, rollout_id: int, user: Any) -> Rollout:
    """The partner (or the PM) confirms the traffic share asked for the current step."""
    with transaction.atomic():
        delivery, rollout = _locked_rollout(rollout_id)
        if not (is_agency(user) or is_delivery_partner(user, delivery)):
            raise PermissionDenied("Vous ne pouvez pas confirmer ce réglage.")
        step = _current(rollout)
        if rollout.status != Rollout.Status.RUNNING or step is None or step.status != RolloutStep.Status.APPLYING:
            raise ValidationError("Aucun réglage de trafic n'est attendu en ce moment.")
        _traffic_applied(rollout, step, actor=user, how="confirmé par " + (user.get_full_name() or user.username))
    return rollout


def rollout_pause(*, rollout_id: int, user: Any, reason: str = "") -> Rollout:
    _require_pm(user)
    with transaction.atomic():
        delivery, rollout = _locked_rollout(rollout_id)
        if rollout.status != Rollout.Status.RUNNING:
            raise ValidationError("Seul un déploiement en cours peut être mis en pause.")
        rollout.status = Rollout.Status.PAUSED
        rollout.paused_at = timezone.now()
        rollout.save(update_fields=["status", "paused_at"])
        history_record(delivery=delivery, kind=HistoryKind.ROLLOUT, actor=user, summary="Déploiement progressif mis en pause",
                       note=reason.strip(), data={"rollout_id": rollout.pk})
    return rollout


def rollout_resume(*, rollout_id: int, user: Any) -> Rollout:
    """Paused: the observation window is extended by the pause. Halted: observe again from now."""
    _require_pm(user)
    now = timezone.now()
    with transaction.atomic():
        delivery, rollout = _locked_rollout(rollout_id)
        step = _current(rollout)
        if rollout.status == Rollout.Status.PAUSED:
            if step and step.status == RolloutStep.Status.OBSERVING and step.observe_until and rollout.paused_at:
                step.observe_until += now - rollout.paused_at
                step.save(update_fields=["observe_until"])
            summary = "Déploiement progressif repris"
        elif rollout.status == Rollout.Status.HALTED and step is not None:
            step.status = RolloutStep.Status.OBSERVING
            step.observe_until = now + step.window
            step.check_queued_at = step.checked_at = None
            step.healthy = None
            step.save(update_fields=["status", "observe_until", "check_queued_at", "checked_at", "healthy"])
            summary = f"Observation relancée à {step.percent} % après suspension"
        else:
            raise ValidationError("Ce déploiement n'est ni en pause ni suspendu.")
        rollout.status = Rollout.Status.RUNNING
        rollout.paused_at = None
        rollout.save(update_fields=["status", "paused_at"])
        history_record(delivery=delivery, kind=HistoryKind.ROLLOUT, actor=user, summary=summary, data={"rollout_id": rollout.pk})
    return rollout


def rollout_promote(*, rollout_id: int, user: Any, reason: str = "") -> Rollout:
    """Move to the next step. Only a step found healthy at the end of its window goes
    without a reason; anything else skips the observation and must say why."""
    _require_pm(user)
    with transaction.atomic():
        delivery, rollout = _locked_rollout(rollout_id)
        step = _current(rollout)
        if not rollout.is_active or step is None:
            raise ValidationError("Aucun déploiement en cours à promouvoir.")
        if step.percent >= 100:
            raise ValidationError("Dernière étape : confirmez le réglage du trafic à 100 %.")
        skipping = step.status != RolloutStep.Status.HEALTHY
        if skipping:
            reason = _reason(reason, "de la promotion sans fenêtre d'observation complète et saine")
        step.status = RolloutStep.Status.SKIPPED if skipping else RolloutStep.Status.PASSED
        step.skip_reason = reason.strip() if skipping else ""
        step.save(update_fields=["status", "skip_reason"])
        history_record(
            delivery=delivery, kind=HistoryKind.ROLLOUT, actor=user, note=reason.strip(),
            summary=f"Étape {step.percent} % promue" + (" avant la fin de son observation" if skipping else ""),
            data={"rollout_id": rollout.pk, "step": step.position, "skipped": skipping},
        )
        rollout.status = Rollout.Status.RUNNING
        rollout.paused_at = None
        nxt = RolloutStep.objects.get(rollout=rollout, position=step.position + 1)
        _step_begin(rollout, nxt, actor=user)
    return rollout


def rollout_rollback(*, rollout_id: int, user: Any, reason: str) -> Rollout:
    """Back to 0 % of the new version (R16: a simple rollback); the plan can be restarted."""
    _require_pm(user)
    reason = _reason(reason, "du retour arrière")
    with transaction.atomic():
        delivery, rollout = _locked_rollout(rollout_id)
        if delivery.stage != Stage.GO_LIVE:
            raise ValidationError("Le retour arrière du déploiement se décide pendant la mise en production.")
        if rollout.status in (Rollout.Status.PLANNED, Rollout.Status.ROLLED_BACK):
            raise ValidationError("Ce déploiement n'a pas démarré : rien à annuler.")
        current = _current(rollout)
        RolloutStep.objects.filter(rollout=rollout).exclude(status=RolloutStep.Status.PENDING).update(status=RolloutStep.Status.REVERTED)
        rollout.status = Rollout.Status.ROLLED_BACK
        rollout.paused_at = None
        rollout.completed_at = None
        rollout.save(update_fields=["status", "paused_at", "completed_at"])
        history_record(delivery=delivery, kind=HistoryKind.ROLLOUT, actor=user, summary="Retour arrière du déploiement progressif",
                       note=reason, data={"rollout_id": rollout.pk})
        _send_traffic(rollout, percent=0, step=current, actor=user, reason=reason)
    return rollout


def _halt(rollout: Rollout, step: RolloutStep | None, *, reason: str) -> None:
    rollout.status = Rollout.Status.HALTED
    rollout.save(update_fields=["status"])
    delivery = rollout.delivery
    project = delivery.project
    percent = step.percent if step else 0
    notify.notify(delivery=delivery, key="rollout_halted", to=notify.pm_emails(project) + notify.partner_emails(project),
                  percent=percent, reason=reason)
    history_record(delivery=delivery, kind=HistoryKind.ROLLOUT, summary=f"Déploiement suspendu à {percent} %", note=reason,
                   data={"rollout_id": rollout.pk, "step": step.position if step else None})


# --- health check at the end of a window ------------------------------------------------------

@dataclass
class Health:
    ok: bool
    reasons: list[str]
    probe_id: int | None = None
    status_code: int | None = None
    response_ms: int | None = None
    error_rate: float | None = None
    max_error_rate: float | None = None


def health_evaluate(*, delivery: Delivery, options: RolloutSettings) -> Health:
    reasons: list[str] = []
    url = delivery.project.production_url
    probe = None
    if url:
        probe = probe_record(delivery=delivery, url=url, purpose=Probe.Purpose.HEALTH)
        if not probe.reachable:
            reasons.append(f"site injoignable ({probe.error or probe.status_code})")
    else:
        reasons.append("URL de production non renseignée")
    rate = None
    threshold = float(options.max_error_rate)
    if options.metrics_url:
        metrics = probe_url(options.metrics_url)
        if metrics.status_code != 200:
            reasons.append(f"métriques indisponibles ({metrics.error or metrics.status_code})")
        else:
            try:
                rate = error_rate_from_json(metrics.body)
            except ValueError as exc:
                reasons.append(f"métriques illisibles : {exc}")
            else:
                if rate * 100 > threshold:
                    reasons.append(f"taux d'erreur {rate * 100:.2f} % au-dessus du seuil de {threshold:.2f} %")
    return Health(ok=not reasons, reasons=reasons, probe_id=probe.pk if probe else None,
                  status_code=probe.status_code if probe else None, response_ms=probe.response_ms if probe else None,
                  error_rate=rate, max_error_rate=threshold if options.metrics_url else None)


def rollout_step_check(*, step_id: int) -> bool:
    """End of an observation window: check health, then advance, wait for the PM, or halt."""
    now = timezone.now()
    claimed = RolloutStep.objects.filter(
        Q(checked_at__isnull=True) | Q(checked_at__lt=now - CLAIM_TTL),
        pk=step_id, status=RolloutStep.Status.OBSERVING, observe_until__lte=now,
        rollout_id__in=Rollout.objects.filter(status=Rollout.Status.RUNNING).values("pk"),
    ).update(checked_at=now)
    if claimed != 1:
        return False
    step = RolloutStep.objects.select_related("rollout__delivery__project").get(pk=step_id)
    delivery = step.rollout.delivery
    health = health_evaluate(delivery=delivery, options=rollout_settings_for(delivery.project))
    with transaction.atomic():
        delivery, rollout = _locked_rollout(step.rollout_id)
        step = RolloutStep.objects.select_for_update().get(pk=step_id)
        if rollout.status != Rollout.Status.RUNNING or step.status != RolloutStep.Status.OBSERVING or step.checked_at != now:
            return False  # paused, promoted or rolled back while we were measuring
        step.healthy = health.ok
        step.health = asdict(health)
        history_record(
            delivery=delivery, kind=HistoryKind.PROBE,
            summary=f"Contrôle de fin d'étape {step.percent} % : " + ("sain" if health.ok else "en échec — " + "; ".join(health.reasons)),
            data={"rollout_id": rollout.pk, "step": step.position, **step.health},
        )
        if not health.ok:
            step.status = RolloutStep.Status.UNHEALTHY
            step.save(update_fields=["healthy", "health", "status"])
            _halt(rollout, step, reason="; ".join(health.reasons))
        elif rollout.auto_advance:
            step.status = RolloutStep.Status.PASSED
            step.save(update_fields=["healthy", "health", "status"])
            _step_begin(rollout, RolloutStep.objects.get(rollout=rollout, position=step.position + 1), actor=None)
        else:
            step.status = RolloutStep.Status.HEALTHY
            step.save(update_fields=["healthy", "health", "status"])
    return True


# --- traffic webhook ------------------------------------------------------------------------

def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_backoff(attempts: int) -> timedelta:
    return timedelta(minutes=2 ** max(attempts - 1, 0))


def traffic_call_send(*, call_id: int) -> bool:
    """POST the instruction once per claim; retried by the sweep after a backoff."""
    now = timezone.now()
    with transaction.atomic():
        call = TrafficCall.objects.select_for_update(skip_locked=True).filter(
            pk=call_id, status=TrafficCall.Status.PENDING, next_attempt_at__lte=now
        ).first()
        if call is None:
            return False
        # Moving next_attempt_at is the claim: a second task for this call finds nothing due.
        call.attempts += 1
        call.next_attempt_at = now + webhook_backoff(call.attempts)
        call.save(update_fields=["attempts", "next_attempt_at"])
    call = TrafficCall.objects.select_related("rollout__delivery__project").get(pk=call_id)
    secret = rollout_settings_for(call.rollout.delivery.project).webhook_secret
    body = json.dumps({**call.payload, "call_id": call.pk, "attempt": call.attempts}, sort_keys=True).encode()
    status, answer, error = None, "", ""
    try:
        status, answer = post_json(call.url, body=body, headers={
            "X-Jalon-Signature": webhook_signature(secret, body), "X-Jalon-Event": call.payload.get("event", "")})
    except (OSError, ProbeError, ValueError) as exc:
        error = f"{type(exc).__name__} : {exc}"[:500]
    ok = status is not None and 200 <= status < 300
    with transaction.atomic():
        delivery, rollout = _locked_rollout(call.rollout_id)
        call = TrafficCall.objects.select_for_update().get(pk=call_id)
        if call.status == TrafficCall.Status.CANCELLED:
            TrafficCall.objects.filter(pk=call_id).update(response_status=status, response_body=answer, last_error=error)
            return ok
        call.response_status = status
        call.response_body = answer
        call.last_error = error or ("" if ok else f"Réponse HTTP {status}")
        if ok:
            call.status = TrafficCall.Status.OK
            call.answered_at = timezone.now()
        elif call.attempts >= WEBHOOK_MAX_ATTEMPTS:
            call.status = TrafficCall.Status.FAILED
        else:
            call.queued_at = None  # the sweep queues the next attempt once next_attempt_at is due
        call.save(update_fields=["response_status", "response_body", "last_error", "status", "answered_at", "queued_at"])
        if ok:
            step = call.step
            if step is not None and rollout.status == Rollout.Status.RUNNING and rollout.current_position == step.position:
                step = RolloutStep.objects.select_for_update().get(pk=step.pk)
                if step.status == RolloutStep.Status.APPLYING and step.percent == call.percent:
                    _traffic_applied(rollout, step, actor=None, how=f"webhook HTTP {status}")
            else:
                history_record(delivery=delivery, kind=HistoryKind.ROLLOUT, summary=f"Webhook de trafic : {call.percent} % accepté (HTTP {status})",
                               data={"traffic_call_id": call.pk})
        elif call.status == TrafficCall.Status.FAILED:
            if rollout.status == Rollout.Status.RUNNING:
                _halt(rollout, call.step, reason=f"le webhook de trafic n'a pas répondu après {call.attempts} tentatives ({call.last_error})")
            else:
                history_record(delivery=delivery, kind=HistoryKind.ROLLOUT, summary=f"Webhook de trafic en échec ({call.percent} %)",
                               note=call.last_error, data={"traffic_call_id": call.pk})
        else:
            history_record(delivery=delivery, kind=HistoryKind.ROLLOUT,
                           summary=f"Webhook de trafic : tentative {call.attempts} échouée, nouvel essai prévu",
                           note=call.last_error, data={"traffic_call_id": call.pk})
    return ok


# --- the sweep ------------------------------------------------------------------------------

@dataclass
class SweepReport:
    reminders: int = 0
    escalations: int = 0
    step_checks: int = 0
    traffic_calls: int = 0
    messages: int = 0
    messages_unstuck: int = 0

    def __str__(self) -> str:
        return (f"rappels J+7 {self.reminders}, escalades {self.escalations}, contrôles d'étape {self.step_checks}, "
                f"webhooks {self.traffic_calls}, e-mails {self.messages} (débloqués {self.messages_unstuck})")


def _claim(queryset, *, field: str, now: datetime, limit: int) -> list[int]:
    """Lock due rows nobody else holds, stamp them as queued, return their ids.

    Two sweeps at once never see the same row: the second skips the rows locked by the
    first, and once the first commits the stamp takes them out of the filter.
    """
    model = queryset.model
    ids = list(queryset.select_for_update(skip_locked=True, of=("self",)).order_by("pk").values_list("pk", flat=True)[:limit])
    if ids:
        model.objects.filter(pk__in=ids).update(**{field: now})
    return ids


def sweep_run(*, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> SweepReport:
    """One pass over everything due. Constant number of queries; the work is in the tasks,
    queued after the claims commit (inline in the embedded mode)."""
    from delivery.golive import tasks
    from communications.tasks import send_message

    now = now or timezone.now()
    stale = now - CLAIM_TTL
    report = SweepReport()
    with transaction.atomic():
        reminders = _claim(
            FollowUp.objects.filter(Q(reminder_queued_at__isnull=True) | Q(reminder_queued_at__lt=stale),
                                    reminder_sent_at__isnull=True, due_at__lte=now, delivery__stage__in=OPEN_STAGES),
            field="reminder_queued_at", now=now, limit=limit)
        escalations = _claim(
            FollowUp.objects.filter(Q(escalation_queued_at__isnull=True) | Q(escalation_queued_at__lt=stale),
                                    escalated_at__isnull=True, escalate_at__lte=now, delivery__stage__in=OPEN_STAGES),
            field="escalation_queued_at", now=now, limit=limit)
        checks = _claim(
            RolloutStep.objects.filter(Q(check_queued_at__isnull=True) | Q(check_queued_at__lt=stale),
                                       status=RolloutStep.Status.OBSERVING, observe_until__lte=now,
                                       rollout__status=Rollout.Status.RUNNING),
            field="check_queued_at", now=now, limit=limit)
        calls = _claim(
            TrafficCall.objects.filter(Q(queued_at__isnull=True) | Q(queued_at__lt=stale),
                                       status=TrafficCall.Status.PENDING, next_attempt_at__lte=now),
            field="queued_at", now=now, limit=limit)
        # The task moves next_attempt_at forward when it runs; re-queue only once it is due again.
        for pk in reminders:
            tasks.follow_up_remind.delay_on_commit(pk)
        for pk in escalations:
            tasks.follow_up_escalate.delay_on_commit(pk)
        for pk in checks:
            tasks.rollout_step_check.delay_on_commit(pk)
        for pk in calls:
            tasks.traffic_call_send.delay_on_commit(pk)
    report.messages_unstuck = outbox.message_requeue_stuck()
    due_messages = outbox.outbox_due_ids(limit=limit)
    for pk in due_messages:
        send_message.delay(pk)
    report.reminders, report.escalations, report.step_checks = len(reminders), len(escalations), len(checks)
    report.traffic_calls, report.messages = len(calls), len(due_messages)
    return report
