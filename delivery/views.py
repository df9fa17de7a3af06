"""Thin views over delivery.services and delivery.selectors.

Access: every view checks on the server. A delivery the user may not see, or an action
reserved to the agency asked by a partner, answers 404 so nothing leaks.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from checklists.models import DeliveryItem
from delivery import selectors, services
from delivery.forms import (
    ChangeRequestForm,
    DeliveryCreateForm,
    JustificationForm,
    NoteForm,
    PlannedDatesForm,
    QualificationForm,
    RequalifyForm,
)
from delivery.models import ChangeRequest, Delivery
from delivery.rules import can_view_delivery
from delivery.tabs import TABS
from delivery.transitions import BY_NAME
from projects.models import Project
from projects.rules import can_view_project, is_agency
from projects.text import plain_text
from projects.vocabulary import PIPELINE


def get_visible_delivery(request: HttpRequest, pk: int, *, for_update: bool = False) -> Delivery:
    """The delivery if the user may see it; 404 otherwise, so existence does not leak."""
    delivery = get_object_or_404(
        Delivery.objects.select_related("project__client", "project__pm", "project__partner"), pk=pk
    )
    if not can_view_delivery(request.user, delivery):
        raise Http404
    return delivery


def delivery_page_context(request: HttpRequest, delivery: Delivery, *, tab: str) -> dict[str, Any]:
    """What `templates/delivery/_layout.html` needs: header, stepper and tabs.

    Every tab view (checklist, recette, validation, go-live…) starts from this.
    """
    dates = {d.stage: d for d in delivery.stage_dates.all()}
    current = delivery.stage_index
    steps = [
        {
            "stage": stage,
            "label": stage.label,
            "dates": dates.get(stage),
            "state": "done" if current > i else ("current" if current == i else "todo"),
        }
        for i, stage in enumerate(PIPELINE)
    ]
    tabs = [
        {"label": label, "url": reverse(url_name, args=[delivery.pk]), "current": url_name == tab}
        for label, url_name in TABS
    ]
    return {
        "delivery": delivery,
        "project": delivery.project,
        "steps": steps,
        "tabs": tabs,
        "is_agency": is_agency(request.user),
    }


def _agency_only(request: HttpRequest) -> None:
    if not is_agency(request.user):
        raise Http404


def _page_delivery(request: HttpRequest, pk: int) -> Delivery:
    try:
        delivery = selectors.delivery_for_page(pk)
    except Delivery.DoesNotExist:
        raise Http404 from None
    if not can_view_delivery(request.user, delivery):
        raise Http404
    return delivery


# --- home: portfolio board (agency) or « Mes points à traiter » (partner) -------------

@login_required
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_partner:
        return render(
            request,
            "delivery/partner_home.html",
            {"groups": selectors.partner_todo(request.user), "deliveries": selectors.partner_deliveries(request.user)},
        )
    if not is_agency(request.user):
        raise Http404
    filters = selectors.BoardFilters.from_query(request.GET)
    columns = selectors.board_columns(filters)
    context = {
        "columns": columns,
        "filters": filters,
        "total": sum(c["count"] for c in columns),
        **selectors.board_filter_choices(),
    }
    template = "delivery/_board.html" if request.htmx and request.htmx.target == "board" else "delivery/board.html"
    return render(request, template, context)


# --- delivery page (tab « Pilotage ») --------------------------------------------------

def _pilotage_context(request: HttpRequest, delivery: Delivery, *, blockers=None) -> dict[str, Any]:
    items = selectors.current_items(delivery, request.user)
    agency = is_agency(request.user)
    return {
        "items": items,
        "progress": selectors.checklist_progress(items),
        "past_checklists": selectors.past_checklists(delivery),
        "panel": selectors.transition_panel(delivery, request.user, blockers),
        "history": selectors.history_for(delivery),
        "change_requests": list(delivery.change_requests.select_related("created_by")),
        "requalifications": list(delivery.requalifications.all()),
        "rule_waivers": list(delivery.rule_waivers.all()),
        "modules": list(delivery.modules.all()),
        "planned_form": PlannedDatesForm.for_delivery(delivery) if agency else None,
        "change_request_form": ChangeRequestForm() if agency else None,
    }


def _render_detail(request: HttpRequest, delivery: Delivery, *, blockers=None, extra=None, status: int = 200) -> HttpResponse:
    context = delivery_page_context(request, delivery, tab="delivery:detail")
    context.update(_pilotage_context(request, delivery, blockers=blockers))
    context.update(extra or {})
    return render(request, "delivery/detail.html", context, status=status)


@login_required
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _page_delivery(request, pk))


@login_required
@require_POST
def transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    spec = BY_NAME.get(name)
    if spec is None:
        raise Http404
    form = NoteForm(request.POST)
    if not form.is_valid():
        # Refuse rather than move on without the note, and give back what was typed.
        messages.error(request, f"« {spec.label} » non effectué : " + " ".join(form.errors["note"]))
        extra = {"open_transition": name, "transition_note": request.POST.get("note", "")}
        return _render_detail(request, _page_delivery(request, pk), extra=extra)
    note = form.cleaned_data["note"]
    result = services.delivery_transition(delivery_id=delivery.pk, name=name, user=request.user, note=note)
    if result.ok:
        messages.success(request, f"« {spec.label} » : la livraison est maintenant en {result.delivery.get_stage_display()}.")
        return redirect(delivery)
    if result.blockers:
        count = len(result.blockers)
        messages.error(request, f"« {spec.label} » refusé : {count} point{'s' if count > 1 else ''} bloquant{'s' if count > 1 else ''}, listé{'s' if count > 1 else ''} ci-dessous.")
    else:
        messages.error(request, result.error)
    extra = {"open_transition": name, "transition_note": note}
    if spec.kind != "forward":
        # The panel's list is the forward move's: a refused backward move shows its own beside its form.
        extra["transition_blockers"] = result.blockers
        return _render_detail(request, _page_delivery(request, pk), extra=extra)
    return _render_detail(request, _page_delivery(request, pk), blockers=result.blockers or None, extra=extra)


@login_required
@require_POST
def item_tick(request: HttpRequest, item_pk: int) -> HttpResponse:
    item = get_object_or_404(DeliveryItem.objects.select_related("delivery__project"), pk=item_pk)
    if not can_view_delivery(request.user, item.delivery):
        raise Http404
    done = request.POST.get("done") == "1"
    comment = plain_text(request.POST.get("comment"), max_length=4000)
    evidence_url = plain_text(request.POST.get("evidence_url"))
    error = ""
    if evidence_url and not evidence_url.startswith(("http://", "https://")):
        error = "Le lien de preuve doit commencer par http:// ou https://."
    elif len(evidence_url) > DeliveryItem._meta.get_field("evidence_url").max_length:
        error = "Le lien de preuve est trop long (500 caractères au plus)."
    else:
        try:
            services.item_set_done(item_id=item.pk, user=request.user, done=done, comment=comment, evidence_url=evidence_url)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Refresh"] = "true"
                return response
            return redirect(item.delivery)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"« {item.label} » {'coché' if done else 'décoché'}.")
        if request.POST.get("from") == "todo":
            return redirect("home")
        return redirect(item.delivery.get_absolute_url() + "#checklist")
    delivery = selectors.delivery_for_page(item.delivery_id)
    fresh = next(i for i in delivery.checklist_items.all() if i.pk == item.pk)
    row = {"item": fresh, "can_tick": True}
    if request.POST.get("from") == "todo":
        return render(request, "delivery/_todo_row.html", {"item": fresh, "error": error})
    context = {
        "delivery": delivery,
        "row": row,
        "error": error,
        # A refused tick gives back what was typed (the row is re-rendered from the database).
        "typed_comment": comment,
        "typed_evidence_url": evidence_url,
        "is_agency": is_agency(request.user),
        "oob": True,
    }
    items = selectors.current_items(delivery, request.user)
    context.update({"progress": selectors.checklist_progress(items), "panel": selectors.transition_panel(delivery, request.user)})
    html = render_to_string("delivery/_item_row.html", context, request=request)
    html += render_to_string("delivery/_gate_panel.html", context, request=request)
    html += render_to_string("delivery/_progress.html", context, request=request)
    return HttpResponse(html)


@login_required
@require_POST
def item_waive(request: HttpRequest, item_pk: int) -> HttpResponse:
    item = get_object_or_404(DeliveryItem.objects.select_related("delivery__project"), pk=item_pk)
    if not can_view_delivery(request.user, item.delivery):
        raise Http404
    _agency_only(request)
    form = JustificationForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["justification"])
        services.item_waive(item_id=item.pk, user=request.user, justification=form.cleaned_data["justification"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        extra = {"waiver_item": item.pk, "waiver_text": request.POST.get("justification", "")}
        return _render_detail(request, _page_delivery(request, item.delivery_id), extra=extra)
    messages.success(request, f"Exception documentée sur « {item.label} ».")
    return redirect(item.delivery.get_absolute_url() + "#checklist")


@login_required
@require_POST
def rule_waive(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    _agency_only(request)
    form = JustificationForm(request.POST)
    code = request.POST.get("code", "")[:40]
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["justification"])
        services.rule_waive(delivery_id=delivery.pk, code=code, user=request.user, justification=form.cleaned_data["justification"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        extra = {"rule_waiver_code": code, "waiver_text": request.POST.get("justification", "")}
        return _render_detail(request, _page_delivery(request, pk), extra=extra)
    messages.success(request, f"Exception documentée sur la règle {code}.")
    return redirect(delivery)


@login_required
@require_POST
def planned_dates(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    _agency_only(request)
    form = PlannedDatesForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Le planning n'a pas été enregistré : corrigez les dates signalées.")
        return _render_detail(request, _page_delivery(request, pk), extra={"planned_form": form, "planning_open": True})
    services.stage_dates_plan(delivery_id=delivery.pk, user=request.user, planned=form.planned_dates())
    messages.success(request, "Planning enregistré.")
    return redirect(delivery)


def _back(request: HttpRequest, default: str) -> str:
    """Where to return after an action posted from another tab (e.g. the recette's cycles)."""
    target = request.POST.get("next", "")
    # Only a path: anything else would be taken by redirect() for a URL name (500 if unknown).
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@login_required
@require_POST
def change_request_create(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    _agency_only(request)
    form = ChangeRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "L'avenant / devis n'a pas été créé : corrigez le formulaire.")
        return _render_detail(request, _page_delivery(request, pk), extra={"change_request_form": form, "cr_open": True})
    cr = services.change_request_create(delivery=delivery, user=request.user, **form.cleaned_data)
    messages.success(request, f"{cr} créé (brouillon). Enregistrez l'accord du client quand il est donné.")
    return redirect(_back(request, delivery.get_absolute_url() + "#avenants"))


@login_required
@require_POST
def change_request_decide(request: HttpRequest, cr_pk: int) -> HttpResponse:
    cr = get_object_or_404(ChangeRequest.objects.select_related("delivery__project"), pk=cr_pk)
    if not can_view_delivery(request.user, cr.delivery):
        raise Http404
    _agency_only(request)
    status = request.POST.get("status", "")
    try:
        services.change_request_decide(change_request=cr, user=request.user, status=status)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{cr} : {cr.get_status_display().lower()}.")
    return redirect(_back(request, cr.delivery.get_absolute_url() + "#avenants"))


@login_required
def requalify(request: HttpRequest, pk: int) -> HttpResponse:
    """R7: an out-of-scope request becomes a new delivery that starts at qualification."""
    delivery = get_visible_delivery(request, pk)
    _agency_only(request)
    form = RequalifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        new = services.delivery_requalify(
            origin=delivery, title=form.cleaned_data["title"], user=request.user, note=form.cleaned_data["note"]
        )
        messages.success(request, f"Nouvelle livraison « {new.title} » créée en qualification (R7).")
        return redirect(new)
    return render(request, "delivery/requalify.html", {"delivery": delivery, "form": form})


@login_required
def qualification_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The qualification grid (R2, R3, R5)."""
    delivery = get_visible_delivery(request, pk)
    _agency_only(request)
    form = QualificationForm(request.POST or None, delivery=delivery)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.delivery_update_qualification(
                delivery_id=delivery.pk,
                user=request.user,
                category=data["category"],
                modules=list(data["modules"]),
                maintenance_plan=data["maintenance_plan"],
                hosting_provider=data["hosting_provider"],
                hosting_compatible=data["hosting_compatible"],
                change_request=data.get("change_request"),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Grille de qualification enregistrée.")
            return redirect(delivery)
    context = delivery_page_context(request, delivery, tab="delivery:qualification")
    context.update(
        {
            "form": form,
            "accepted_change_requests": "change_request" in form.fields and form.fields["change_request"].queryset.exists(),
        }
    )
    return render(request, "delivery/qualification.html", context)


@login_required
def delivery_create(request: HttpRequest, project_pk: int) -> HttpResponse:
    project = get_object_or_404(Project.objects.select_related("client"), pk=project_pk)
    if not can_view_project(request.user, project):
        raise Http404
    _agency_only(request)
    form = DeliveryCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        delivery = services.delivery_create(
            project=project,
            title=form.cleaned_data["title"],
            created_by=request.user,
            category=form.cleaned_data["category"],
            modules=list(form.cleaned_data["modules"]),
            planned_dates=form.planned_dates(),
        )
        messages.success(request, f"Livraison « {delivery.title} » créée : elle commence en qualification (R1).")
        return redirect(delivery)
    return render(request, "delivery/create.html", {"project": project, "form": form})
