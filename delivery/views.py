"""Thin views over delivery.services."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from delivery.models import Delivery
from delivery.rules import can_view_delivery
from delivery.tabs import TABS
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
    return {"delivery": delivery, "project": delivery.project, "steps": steps, "tabs": tabs}


@login_required
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    return render(request, "delivery/detail.html", delivery_page_context(request, delivery, tab="delivery:detail"))


@login_required
def qualification_edit(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    return render(request, "delivery/qualification.html", {"delivery": delivery})
