"""Thin views over the recette services. Every view starts from the delivery the user
may see (`get_visible_delivery`: 404 otherwise), then from objects of that delivery."""

from __future__ import annotations

import base64
import binascii

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from delivery import services as delivery_services
from delivery.models import ChangeRequest, Delivery
from delivery.recette import selectors, services
from delivery.recette.csv_import import csv_preview
from delivery.recette.forms import (
    AnomalyFilterForm,
    AnomalyForm,
    AnomalyStatusForm,
    CaseFilterForm,
    CaseForm,
    CopyForm,
    ImportForm,
    RunForm,
    WaiverForm,
)
from delivery.recette.models import (
    UNRESOLVED,
    Anomaly,
    PVVersion,
    RecetteCase,
    RecetteRun,
    ResultStatus,
    RunKind,
    RunResult,
)
from delivery.recette.rules import can_decide_exception, can_execute, can_generate_pv, can_manage_cahier
from delivery.forms import ChangeRequestForm as DeliveryChangeRequestForm
from delivery.views import delivery_page_context, get_visible_delivery
from projects.text import plain_text
from projects.vocabulary import Stage

TAB = "recette:tab"


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _add_errors(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _tab_url(delivery: Delivery, anchor: str = "") -> str:
    return reverse(TAB, args=[delivery.pk]) + (f"#{anchor}" if anchor else "")


def _context(request: HttpRequest, delivery: Delivery, **extra) -> dict:
    user = request.user
    return {
        **delivery_page_context(request, delivery, tab=TAB),
        "can_manage": can_manage_cahier(user, delivery),
        "can_execute": can_execute(user, delivery),
        "can_decide": can_decide_exception(user, delivery),
        "can_generate": can_generate_pv(user, delivery),
        **extra,
    }


# --- the tab --------------------------------------------------------------------------------

@login_required
def tab(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_tab(request, get_visible_delivery(request, pk))


def _render_tab(request: HttpRequest, delivery: Delivery, *, waiver_form: WaiverForm | None = None,
                status: int = 200) -> HttpResponse:
    case_filter = CaseFilterForm(request.GET or None)
    cases = RecetteCase.objects.filter(delivery=delivery).select_related("module").order_by("reference", "id")
    n_cases = cases.count()
    if case_filter.is_valid():
        if case_filter.cleaned_data["priorite"]:
            cases = cases.filter(priority=case_filter.cleaned_data["priorite"])
        if q := case_filter.cleaned_data["q"].strip():
            cases = cases.filter(Q(reference__icontains=q) | Q(title__icontains=q))
    anomaly_filter = AnomalyFilterForm(request.GET or None)
    anomalies = Anomaly.objects.filter(delivery=delivery).select_related("case", "run").order_by("-number")
    if anomaly_filter.is_valid():
        data = anomaly_filter.cleaned_data
        if data["gravite"]:
            anomalies = anomalies.filter(severity=data["gravite"])
        if data["statut"] == "unresolved":
            anomalies = anomalies.filter(status__in=UNRESOLVED)
        elif data["statut"]:
            anomalies = anomalies.filter(status=data["statut"])
        if data["visibilite"]:
            anomalies = anomalies.filter(client_visible=data["visibilite"] == "client")
    runs = selectors.runs_with_progress(delivery)
    summary = selectors.pv_compute(delivery, with_rows=False)
    cycles = selectors.feedback_cycles(delivery)
    run_kind = RunKind.INTERNAL if delivery.stage == Stage.PRE_DELIVERY else RunKind.CLIENT
    can_start_run = delivery.stage in (Stage.PRE_DELIVERY, Stage.DELIVERY) and (
        run_kind == RunKind.INTERNAL or request.user.is_agency
    )
    return render(
        request,
        "recette/tab.html",
        _context(
            request, delivery,
            cases=list(cases), n_cases=n_cases, case_filter=case_filter,
            anomalies=list(anomalies), anomaly_filter=anomaly_filter,
            known_issues=list(selectors.unresolved_anomalies(delivery).order_by("severity", "number")),
            runs=runs, summary=summary, pv=selectors.current_pv(delivery), cycles=cycles,
            change_requests=list(ChangeRequest.objects.filter(delivery=delivery).order_by("-created_at")),
            run_form=RunForm(initial={"kind": run_kind}), run_kind=run_kind, can_start_run=can_start_run,
            cr_form=DeliveryChangeRequestForm(), waiver_form=waiver_form or WaiverForm(),
            filters_active=bool(request.GET),
        ),
        status=status,
    )


# --- cases ----------------------------------------------------------------------------------

def _managed_delivery(request: HttpRequest, pk: int) -> Delivery:
    delivery = get_visible_delivery(request, pk)
    if not can_manage_cahier(request.user, delivery):
        raise PermissionDenied("Seule l'agence rédige le cahier de recette.")
    return delivery


@login_required
def case_create(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = _managed_delivery(request, pk)
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(delivery=delivery, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Cas {case.reference} ajouté au cahier.")
            if "another" in request.POST:
                return redirect("recette:case_create", pk=delivery.pk)
            return redirect(_tab_url(delivery, "cahier"))
    return render(request, "recette/case_form.html", _context(request, delivery, form=form, case=None))


@login_required
def case_edit(request: HttpRequest, pk: int, case_id: int) -> HttpResponse:
    delivery = _managed_delivery(request, pk)
    case = get_object_or_404(RecetteCase, pk=case_id, delivery=delivery)
    form = CaseForm(request.POST or None, instance=case)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_update(case=case, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Cas {case.reference} enregistré.")
            return redirect(_tab_url(delivery, "cahier"))
    return render(request, "recette/case_form.html", _context(request, delivery, form=form, case=case))


@login_required
@require_POST
def case_delete(request: HttpRequest, pk: int, case_id: int) -> HttpResponse:
    delivery = _managed_delivery(request, pk)
    case = get_object_or_404(RecetteCase, pk=case_id, delivery=delivery)
    try:
        services.case_delete(case=case, user=request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, f"Cas {case.reference} supprimé.")
    return redirect(_tab_url(delivery, "cahier"))


@login_required
def case_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload → preview (every bad row listed) → confirm. The file travels in the
    confirmation form itself, so nothing is stored before the PM confirms."""
    delivery = _managed_delivery(request, pk)
    form = ImportForm()
    preview = content = None
    if request.method == "POST":
        if "content" in request.POST:
            try:
                data = base64.b64decode(request.POST["content"], validate=True)
            except (binascii.Error, ValueError):
                messages.error(request, "Le fichier transmis est illisible : envoyez-le à nouveau.")
                return redirect("recette:case_import", pk=delivery.pk)
            preview = csv_preview(delivery=delivery, data=data)
            if preview.ok and "confirm" in request.POST:
                try:
                    created = services.cases_import(delivery=delivery, user=request.user, rows=preview.rows)
                except ValidationError as exc:
                    messages.error(request, _errors(exc))
                else:
                    messages.success(request, f"{len(created)} cas importés dans le cahier de recette.")
                    return redirect(_tab_url(delivery, "cahier"))
            content = request.POST["content"]
        else:
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                data = form.cleaned_data["file"].read()
                preview = csv_preview(delivery=delivery, data=data)
                content = base64.b64encode(data).decode() if preview.ok else None
    return render(
        request, "recette/import.html", _context(request, delivery, form=form, preview=preview, content=content)
    )


@login_required
def case_copy(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = _managed_delivery(request, pk)
    # Only deliveries this user may see: the same rule as the delivery page.
    sources = (
        Delivery.objects.exclude(pk=delivery.pk)
        .annotate(n_cases=Count("recette_cases"))
        .filter(n_cases__gt=0)
        .select_related("project")
        .order_by("project__name", "title")
    )
    if request.user.is_partner:
        sources = sources.filter(project__partner_id=request.user.partner_id)
    sources = list(sources)
    form = CopyForm(request.POST or None, sources=sources)
    if request.method == "POST" and form.is_valid():
        source = next(d for d in sources if d.pk == form.cleaned_data["source"])
        try:
            copied, skipped = services.cases_copy(source=source, target=delivery, user=request.user)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            text = f"{copied} cas copiés depuis « {source.project.name} — {source.title} »."
            if skipped:
                text += f" Déjà présents, non copiés : {', '.join(skipped)}."
            messages.success(request, text)
            return redirect(_tab_url(delivery, "cahier"))
    return render(request, "recette/copy.html", _context(request, delivery, form=form, sources=sources))


# --- runs -----------------------------------------------------------------------------------

@login_required
@require_POST
def run_create(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choisissez le type de campagne et l'environnement.")
        return redirect(_tab_url(delivery, "campagnes"))
    try:
        run = services.run_create(delivery=delivery, user=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect(_tab_url(delivery, "campagnes"))
    return redirect(run)


def _run_of(request: HttpRequest, pk: int, run_id: int) -> tuple[Delivery, RecetteRun]:
    delivery = get_visible_delivery(request, pk)
    run = get_object_or_404(RecetteRun.objects.select_related("started_by"), pk=run_id, delivery=delivery)
    run.delivery = delivery
    return delivery, run


def _run_panel(delivery: Delivery, run: RecetteRun) -> dict:
    progress = selectors.run_progress(run)
    latest = selectors.latest_run(delivery, run.kind)
    summary = selectors.pv_compute(delivery, kind=run.kind, with_rows=False) if latest and latest.pk == run.pk else None
    return {"progress": progress, "summary": summary, "is_open": delivery.stage == run.stage}


@login_required
def run_detail(request: HttpRequest, pk: int, run_id: int) -> HttpResponse:
    delivery, run = _run_of(request, pk, run_id)
    cases = list(RecetteCase.objects.filter(delivery=delivery).select_related("module").order_by("reference", "id"))
    results = {r.case_id: r for r in RunResult.objects.filter(run=run).select_related("tester")}
    rows = [{"case": c, "result": results.get(c.pk)} for c in cases]
    return render(
        request, "recette/run.html",
        _context(request, delivery, run=run, rows=rows, statuses=ResultStatus, **_run_panel(delivery, run)),
    )


@login_required
@require_POST
def result_set(request: HttpRequest, pk: int, run_id: int, case_id: int) -> HttpResponse:
    delivery, run = _run_of(request, pk, run_id)
    case = get_object_or_404(RecetteCase.objects.select_related("module"), pk=case_id, delivery=delivery)
    error = ""
    try:
        result = services.result_set(
            run=run, case=case, user=request.user, status=request.POST.get("status", ""),
            comment=plain_text(request.POST.get("comment")),
        )
    except ValidationError as exc:
        error = _errors(exc)
        result = RunResult.objects.filter(run=run, case=case).select_related("tester").first()
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(run)
    return render(
        request, "recette/_result_update.html",
        _context(request, delivery, run=run, row={"case": case, "result": result}, error=error,
                 statuses=ResultStatus, **_run_panel(delivery, run)),
    )


# --- anomalies ------------------------------------------------------------------------------

@login_required
def anomaly_create(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    can_share = can_decide_exception(request.user, delivery)
    run = None
    if run_id := (request.POST.get("run") or request.GET.get("run")):
        run = RecetteRun.objects.filter(pk=run_id if str(run_id).isdigit() else 0, delivery=delivery).first()
    initial = {}
    if (case_id := request.GET.get("case", "")).isdigit():
        initial["case"] = RecetteCase.objects.filter(pk=case_id, delivery=delivery).first()
    if request.GET.get("gravite"):
        initial["severity"] = request.GET["gravite"]
    form = AnomalyForm(request.POST or None, delivery=delivery, can_share=can_share, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            anomaly = services.anomaly_create(
                delivery=delivery, user=request.user, title=data["title"], severity=data["severity"],
                description=data["description"], case=data["case"], run=run,
                client_visible=data.get("client_visible", False),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Anomalie AN-{anomaly.number} enregistrée.")
            return redirect(run if run else _tab_url(delivery, "anomalies"))
    return render(request, "recette/anomaly_form.html", _context(request, delivery, form=form, run=run, anomaly=None))


@login_required
def anomaly_edit(request: HttpRequest, pk: int, anomaly_id: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    anomaly = get_object_or_404(Anomaly.objects.select_related("case", "run", "created_by", "status_changed_by"), pk=anomaly_id, delivery=delivery)
    anomaly.delivery = delivery
    can_share = can_decide_exception(request.user, delivery)
    form = AnomalyForm(request.POST or None, instance=anomaly, delivery=delivery, can_share=can_share)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        anomaly.refresh_from_db()
        anomaly.delivery = delivery
        try:
            services.anomaly_update(
                anomaly=anomaly, user=request.user, title=data["title"], severity=data["severity"],
                description=data["description"], case=data["case"],
                client_visible=data.get("client_visible", anomaly.client_visible),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Anomalie AN-{anomaly.number} enregistrée.")
            return redirect(_tab_url(delivery, "anomalies"))
    return _anomaly_page(request, delivery, anomaly, form=form)


def _anomaly_page(request: HttpRequest, delivery: Delivery, anomaly: Anomaly, *, form=None, status_form=None,
                  status: int = 200) -> HttpResponse:
    if form is None:
        form = AnomalyForm(instance=anomaly, delivery=delivery, can_share=can_decide_exception(request.user, delivery))
    status_form = status_form or AnomalyStatusForm(initial={"status": anomaly.status})
    return render(
        request, "recette/anomaly_form.html",
        _context(request, delivery, form=form, anomaly=anomaly, status_form=status_form, run=anomaly.run),
        status=status,
    )


@login_required
@require_POST
def anomaly_status(request: HttpRequest, pk: int, anomaly_id: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    anomaly = get_object_or_404(
        Anomaly.objects.select_related("case", "run", "created_by", "status_changed_by"), pk=anomaly_id, delivery=delivery
    )
    anomaly.delivery = delivery
    form = AnomalyStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Statut inconnu.")
        return redirect("recette:anomaly_edit", pk=delivery.pk, anomaly_id=anomaly.pk)
    try:
        services.anomaly_set_status(anomaly=anomaly, user=request.user, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        # The same page again with the chosen status and the justification as typed.
        messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
        anomaly.refresh_from_db()
        anomaly.delivery = delivery
        return _anomaly_page(request, delivery, anomaly, status_form=form, status=400)
    messages.success(request, f"AN-{anomaly.number} : {anomaly.get_status_display().lower()}.")
    return redirect(_tab_url(delivery, "anomalies"))


# --- PV -------------------------------------------------------------------------------------

@login_required
def pv_preview(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    summary = selectors.pv_compute(delivery)
    versions = list(PVVersion.objects.filter(delivery=delivery).select_related("created_by").order_by("-number"))
    can_generate_now = delivery.stage not in (Stage.QUALIFICATION, Stage.CADRAGE, Stage.PRODUCTION, Stage.REFUSED)
    return render(
        request, "recette/pv.html",
        _context(request, delivery, summary=summary, versions=versions, can_generate_now=can_generate_now,
                 exceptions_count=delivery.rule_waivers.count()),
    )


@login_required
@require_POST
def pv_generate(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    try:
        version = services.pv_generate(delivery=delivery, user=request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, f"PV de recette v{version.number} généré : {version.get_decision_display()}.")
    return redirect("recette:pv", pk=delivery.pk)


@login_required
def pv_download(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    version = get_object_or_404(PVVersion, delivery=delivery, number=number)
    filename = f"PV-recette-{delivery.project.name}-v{version.number}.pdf".replace(" ", "-")
    return FileResponse(version.file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf")


# --- feedback cycles: change requests and R6 exceptions ----------------------------------------

@login_required
@require_POST
def cycle_waive(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    form = WaiverForm(request.POST)
    if not form.is_valid():
        # The tab again with the justification as typed, rather than a redirect that drops it.
        messages.error(request, "Justifiez l'exception en une phrase au moins (10 caractères).")
        return _render_tab(request, delivery, waiver_form=form, status=400)
    code = selectors.feedback_cycles(delivery).next_waiver_code
    try:
        delivery_services.rule_waive(
            delivery_id=delivery.pk, code=code, user=request.user, justification=form.cleaned_data["justification"]
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return _render_tab(request, delivery, waiver_form=form, status=400)
    else:
        messages.success(request, "Exception documentée : un cycle de retours supplémentaire est autorisé (R6).")
    return redirect(_tab_url(delivery, "cycles"))
