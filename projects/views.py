"""Clients and projects: lists (searchable) and the agency's forms.

Partners see only their company's projects; clients and every form are the agency's
(a partner asking gets 404, like for anything it may not see).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from projects.forms import ClientForm, ContactFormSet, ProjectForm
from projects.models import Client, Project
from projects.rules import can_view_project, is_agency
from projects.text import plain_text

LIST_LIMIT = 200


def _agency_only(request: HttpRequest) -> None:
    if not is_agency(request.user):
        raise Http404


def _visible_projects(request: HttpRequest):
    qs = Project.objects.select_related("client", "pm", "partner")
    if is_agency(request.user):
        return qs
    if request.user.is_partner:
        return qs.filter(partner_id=request.user.partner_id)
    return qs.none()


@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    _agency_only(request)
    q = plain_text(request.GET.get("q"), max_length=100)
    clients = Client.objects.annotate(project_count=Count("projects", distinct=True), contact_count=Count("contacts", distinct=True))
    if q:
        clients = clients.filter(Q(name__icontains=q) | Q(contacts__name__icontains=q) | Q(contacts__email__icontains=q)).distinct()
    return render(request, "projects/client_list.html", {"clients": clients.order_by("name")[:LIST_LIMIT], "q": q})


@login_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _agency_only(request)
    client = get_object_or_404(Client.objects.prefetch_related("contacts"), pk=pk)
    projects = client.projects.select_related("pm", "partner").order_by("name")
    return render(request, "projects/client_detail.html", {"client": client, "projects": projects})


@login_required
def client_create(request: HttpRequest) -> HttpResponse:
    _agency_only(request)
    form = ClientForm(request.POST or None)
    formset = ContactFormSet(request.POST or None, instance=Client(), prefix="contacts")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        with transaction.atomic():
            client = form.save()
            formset.instance = client
            formset.save()
        messages.success(request, f"Client « {client.name} » créé.")
        return redirect("projects:client_detail", pk=client.pk)
    return render(request, "projects/client_form.html", {"form": form, "formset": formset})


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    q = plain_text(request.GET.get("q"), max_length=100)
    projects = _visible_projects(request).annotate(delivery_count=Count("deliveries"))
    if q:
        projects = projects.filter(Q(name__icontains=q) | Q(client__name__icontains=q))
    return render(
        request,
        "projects/project_list.html",
        {"projects": projects.order_by("client__name", "name")[:LIST_LIMIT], "q": q, "is_agency": is_agency(request.user)},
    )


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project.objects.select_related("client", "pm", "partner"), pk=pk)
    if not can_view_project(request.user, project):
        raise Http404
    deliveries = project.deliveries.select_related("origin").order_by("-created_at")
    return render(
        request,
        "projects/project_detail.html",
        {"project": project, "deliveries": deliveries, "is_agency": is_agency(request.user)},
    )


@login_required
def project_create(request: HttpRequest) -> HttpResponse:
    _agency_only(request)
    initial = {"pm": request.user.pk}
    if request.GET.get("client", "").isdigit():
        initial["client"] = int(request.GET["client"])
    form = ProjectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        project = form.save()
        messages.success(request, f"Projet « {project.name} » créé. Créez maintenant sa première livraison.")
        return redirect("projects:project_detail", pk=project.pk)
    return render(request, "projects/project_form.html", {"form": form})


@login_required
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _agency_only(request)
    project = get_object_or_404(Project, pk=pk)
    form = ProjectForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Projet enregistré.")
        return redirect("projects:project_detail", pk=project.pk)
    return render(request, "projects/project_form.html", {"form": form, "project": project})
