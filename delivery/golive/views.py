"""The « Mise en ligne » tab: probes, J+7, canary rollout. Thin views over services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from delivery.golive import services
from delivery.golive.forms import ReasonForm, RolloutSettingsForm
from delivery.golive.models import FollowUp, Probe, Rollout, RolloutStep, TrafficBackend, TrafficCall
from delivery.golive.selectors import follow_up_state
from delivery.golive.services import OPEN_STAGES
from delivery.rules import is_delivery_partner
from delivery.views import delivery_page_context, get_visible_delivery
from projects.rules import is_agency
from projects.vocabulary import Stage


def _tab(pk: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("golive:tab", args=[pk]) + (f"#{anchor}" if anchor else ""))


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "Action non autorisée."


def _time_left(until) -> str:
    if until is None:
        return ""
    seconds = int((until - timezone.now()).total_seconds())
    if seconds <= 0:
        return "fenêtre terminée, contrôle imminent"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"encore {days} j {hours} h"
    if hours:
        return f"encore {hours} h {minutes:02d}"
    return f"encore {minutes} min"


@login_required
def golive_tab(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_tab(request, get_visible_delivery(request, pk))


def _render_tab(request: HttpRequest, delivery, *, settings_form: RolloutSettingsForm | None = None,
                status: int = 200, extra: dict | None = None) -> HttpResponse:
    is_pm = is_agency(request.user)
    follow_up = FollowUp.objects.filter(delivery=delivery).first()
    rollout = Rollout.objects.filter(delivery=delivery).first()
    steps = list(rollout.steps.all()) if rollout else []
    for step in steps:
        step.time_left = _time_left(step.observe_until) if step.status == RolloutStep.Status.OBSERVING else ""
        step.is_current = rollout.current_position == step.position and rollout.is_active
        rate = (step.health or {}).get("error_rate")
        step.error_pct = rate * 100 if rate is not None else None
    current = next((s for s in steps if s.is_current), None)
    probes = list(Probe.objects.filter(delivery=delivery).select_related("actor")[:10])
    options = services.rollout_settings_for(delivery.project) if is_pm else None
    context = delivery_page_context(request, delivery, tab="golive:tab")
    context.update(
        is_pm=is_pm,
        can_probe=is_pm or is_delivery_partner(request.user, delivery),
        follow_up=follow_up,
        follow_up_state=follow_up_state(follow_up, delivery.stage),
        follow_up_closed=delivery.stage not in OPEN_STAGES,
        rollout=rollout,
        rollout_steps=steps,
        current=current,
        can_confirm=bool(
            rollout and current and rollout.status == Rollout.Status.RUNNING
            and current.status == RolloutStep.Status.APPLYING
            and (is_pm or (rollout.backend == TrafficBackend.MANUAL and is_delivery_partner(request.user, delivery)))
        ),
        promote_needs_reason=bool(current and current.status != RolloutStep.Status.HEALTHY),
        can_create_rollout=is_pm and rollout is None and delivery.stage in (Stage.DELIVERY, Stage.GO_LIVE),
        traffic_calls=list(TrafficCall.objects.filter(rollout=rollout)[:8]) if rollout else [],
        probes=probes,
        last_probe=probes[0] if probes else None,
        options=options,
        settings_form=settings_form or (RolloutSettingsForm(instance=options) if options else None),
        Status=Rollout.Status,
        StepStatus=RolloutStep.Status,
        stage_is_go_live=delivery.stage == Stage.GO_LIVE,
        **(extra or {}),
    )
    return render(request, "golive/tab.html", context, status=status)


@login_required
@require_POST
def probe_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    try:
        probe = services.probe_run(delivery_id=delivery.pk, user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        if probe.reachable and (probe.https_ok or not probe.https):
            messages.success(request, f"Site vérifié : HTTP {probe.status_code} en {probe.response_ms} ms.")
        else:
            messages.warning(request, f"Vérification en échec : {probe.error or probe.status_code}.")
    return _tab(pk, "verifications")


@login_required
@require_POST
def rollout_create(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    if not is_agency(request.user):
        raise Http404
    try:
        services.rollout_plan_create(delivery=delivery, user=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, "Plan de déploiement progressif créé : 5 % → 20 % → 50 % → 100 %.")
    return _tab(pk, "deploiement")


ACTIONS = {
    "demarrer": (services.rollout_start, False, "Déploiement démarré."),
    "pause": (services.rollout_pause, True, "Déploiement mis en pause."),
    "reprendre": (services.rollout_resume, False, "Déploiement repris."),
    "promouvoir": (services.rollout_promote, True, "Étape promue."),
    "retour-arriere": (services.rollout_rollback, True, "Retour arrière demandé."),
    "confirmer": (services.rollout_traffic_confirm, False, "Réglage du trafic confirmé."),
}


@login_required
@require_POST
def rollout_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    rollout = Rollout.objects.filter(delivery=delivery).first()
    if rollout is None or action not in ACTIONS:
        raise Http404
    if action != "confirmer" and not is_agency(request.user):
        raise Http404
    service, takes_reason, done = ACTIONS[action]
    kwargs = {"rollout_id": rollout.pk, "user": request.user}
    typed = {"reason_action": action, "reason_text": request.POST.get("reason", "")}
    if takes_reason:
        form = ReasonForm(request.POST)
        if not form.is_valid():
            # Never act without the reason that was given: refuse and give the text back.
            messages.error(request, "Action non effectuée : " + " ".join(form.errors["reason"]))
            return _render_tab(request, delivery, status=400, extra=typed)
        kwargs["reason"] = form.cleaned_data["reason"]
    try:
        service(**kwargs)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
        if takes_reason:
            return _render_tab(request, delivery, status=400, extra=typed)
    else:
        messages.success(request, done)
    return _tab(pk, "deploiement")


@login_required
@require_POST
def rollout_settings_edit(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    if not is_agency(request.user):
        raise Http404
    options = services.rollout_settings_for(delivery.project)
    form = RolloutSettingsForm(request.POST, instance=options)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.rollout_settings_update(
                project=delivery.project, user=request.user, backend=data["backend"], webhook_url=data["webhook_url"],
                metrics_url=data["metrics_url"], max_error_rate=data["max_error_rate"], auto_advance=data["auto_advance"],
                regenerate_secret=data["regenerate_secret"],
            )
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, "Réglages du déploiement enregistrés.")
            return _tab(pk, "reglages")
    # Keep what was typed: the page again with the bound form and its errors.
    messages.error(request, "Réglages non enregistrés : corrigez les champs signalés.")
    return _render_tab(request, delivery, settings_form=form, status=400)
