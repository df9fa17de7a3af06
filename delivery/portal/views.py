"""Portal views (no login: the link's token is the credential) and the PM's
"Validation client" tab with the email editor.

R13: portal templates receive only the explicit, client-safe values built in
`_portal_context`, never model instances, so an internal field cannot slip into a page.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from communications import tone
from communications.models import Document, OutboundMessage
from delivery.portal import services
from delivery.portal.forms import AnnouncementForm, DecisionForm, EmailEditForm
from delivery.portal.models import ClientValidation, PortalLink
from delivery.views import delivery_page_context, get_visible_delivery
from projects.rules import is_agency
from projects.vocabulary import Stage


# --- portal (client, no account) ------------------------------------------------------------

def portal_headers(view):
    """No referrer (the URL is a secret), no caching, no indexing, on every portal answer."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        response["Cache-Control"] = "no-store, max-age=0, private"
        response["Pragma"] = "no-cache"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _rate_key(request: HttpRequest) -> str:
    return f"portal:bad-token:{_client_ip(request)}"


def _too_many(request: HttpRequest) -> bool:
    limit, _window = settings.PORTAL_BAD_TOKEN_LIMIT
    return (cache.get(_rate_key(request)) or 0) >= limit


def _count_bad(request: HttpRequest) -> None:
    _limit, window = settings.PORTAL_BAD_TOKEN_LIMIT
    key = _rate_key(request)
    if cache.add(key, 1, timeout=window):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)


def _unavailable(request: HttpRequest, *, status: int = 404) -> HttpResponse:
    # One page for wrong, expired and revoked links: it must not tell which.
    return render(
        request, "portal/unavailable.html", {"too_many": status == 429, "agency_name": settings.AGENCY_NAME}, status=status
    )


def _link_or_refusal(request: HttpRequest, token: str) -> PortalLink | HttpResponse:
    if _too_many(request):
        return _unavailable(request, status=429)
    link = services.link_resolve(token)
    if link is None:
        _count_bad(request)
        return _unavailable(request)
    return link


def _portal_context(link: PortalLink, token: str) -> dict[str, Any]:
    delivery = link.delivery
    project = delivery.project
    pv = services.current_pv(delivery)
    validation = ClientValidation.objects.filter(link=link).first()
    from delivery.recette.selectors import client_visible_anomalies

    return {
        "token": token,
        "agency_name": settings.AGENCY_NAME,
        "client_name": project.client.name,
        "project_name": project.name,
        "delivery_title": delivery.title,
        "stage_label": Stage(delivery.stage).label,
        "awaiting": delivery.stage == Stage.DELIVERY and validation is None,
        "contact_name": link.contact.name,
        "pm_name": project.pm.get_full_name() or project.pm.username,
        "pm_email": project.pm.email,
        "preprod_url": project.preprod_url,
        "statement": services.statement_for(project.preprod_url),
        "expires_at": link.expires_at,
        "pv": {
            "number": pv.number,
            "decision_label": pv.get_decision_display(),
            "is_go": pv.is_go,
            "created_at": pv.created_at,
        }
        if pv
        else None,
        "anomalies": [
            {"ref": f"AN-{a.number}", "title": a.title, "severity": a.get_severity_display(), "status": a.get_status_display()}
            for a in client_visible_anomalies(delivery)
        ],
        "validation": {
            "is_validated": validation.is_validated,
            "decision_label": validation.get_decision_display(),
            "signer_name": validation.signer_name,
            "signed_at": validation.signed_at,
            "comment": validation.comment,
            "pv_number": validation.pv_number,
            "has_certificate": validation.certificate_id is not None,
            "has_signed_pv": validation.signed_pv_id is not None,
        }
        if validation
        else None,
    }


@csrf_exempt  # the token in the URL is the credential; no cookie session to ride on (and no-referrer sends Origin: null)
@portal_headers
def portal_page(request: HttpRequest, token: str) -> HttpResponse:
    found = _link_or_refusal(request, token)
    if isinstance(found, HttpResponse):
        return found
    link = found
    form = DecisionForm()
    error = ""
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid():
            result = services.validation_submit(
                link_id=link.pk,
                decision=form.cleaned_data["decision"],
                signer_name=form.cleaned_data["signer_name"],
                consent=form.cleaned_data["consent"],
                comment=form.cleaned_data["comment"],
                ip=_client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                seen_pv_number=form.cleaned_data["pv_number"],
            )
            if result.ok:
                return redirect("portal:page", token=token)  # a reload never submits twice
            error = result.error
        else:
            error = "Choisissez de valider ou de transmettre vos retours."
        link.refresh_from_db()
    elif request.method == "GET":
        services.link_mark_opened(link=link)
    else:
        return HttpResponse(status=405)
    context = _portal_context(link, token)
    context.update(form=form, error=error)
    return render(request, "portal/page.html", context, status=400 if error else 200)


def _file_response(file_field, filename: str, *, download: bool) -> FileResponse:
    return FileResponse(file_field.open("rb"), as_attachment=download, filename=filename, content_type="application/pdf")


@portal_headers
def portal_pv(request: HttpRequest, token: str) -> HttpResponse:
    """The current PV as the client sees it (client copy, R13)."""
    found = _link_or_refusal(request, token)
    if isinstance(found, HttpResponse):
        return found
    pv = services.current_pv(found.delivery)
    if pv is None:
        return _unavailable(request)
    pdf = services.client_pv_render(pv)
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("telecharger") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="pv-de-recette-v{pv.number}.pdf"'
    return response


@portal_headers
def portal_document(request: HttpRequest, token: str, what: str) -> HttpResponse:
    """The certificate or the signed PV of the validation made with this link."""
    found = _link_or_refusal(request, token)
    if isinstance(found, HttpResponse):
        return found
    validation = ClientValidation.objects.filter(link=found).select_related("certificate", "signed_pv").first()
    document = None
    if validation is not None:
        document = {"certificat": validation.certificate, "pv-signe": validation.signed_pv}.get(what)
    if document is None:
        return _unavailable(request)
    return _file_response(document.file, f"{what}-{validation.signed_at:%Y%m%d}.pdf", download=bool(request.GET.get("telecharger")))


# --- PM side ---------------------------------------------------------------------------------

def _agency_only(request: HttpRequest) -> None:
    if not is_agency(request.user):
        raise Http404


@login_required
def validation_tab(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    now = timezone.now()
    contacts = list(delivery.project.client.contacts.all())
    links = list(
        PortalLink.objects.filter(delivery=delivery).select_related("contact", "message", "created_by").order_by("-created_at")
    )
    latest_by_contact: dict[int, PortalLink] = {}
    for link in links:
        latest_by_contact.setdefault(link.contact_id, link)
    validations = list(
        ClientValidation.objects.filter(delivery=delivery).select_related("contact", "certificate", "signed_pv").order_by("-pk")
    )
    from delivery.portal.gates import client_validation_of_current_pv

    context = delivery_page_context(request, delivery, tab="portal:tab")
    context.update(
        is_agency=is_agency(request.user),
        pv=services.current_pv(delivery),
        contacts=[{"contact": c, "link": latest_by_contact.get(c.pk)} for c in contacts],
        links=[{"link": link, "state": link.state_at(now)} for link in links],
        validations=validations,
        chain=services.recompute_chain(delivery) if validations else None,
        blockers=client_validation_of_current_pv(delivery),
        request_problems=services.validation_request_check(delivery=delivery),
        can_announce=delivery.stage in (Stage.GO_LIVE, Stage.FOLLOW_UP, Stage.MAINTENANCE),
        documents=list(Document.objects.filter(delivery=delivery).select_related("message").order_by("-created_at", "-pk")),
        messages_sent=list(
            OutboundMessage.objects.filter(delivery=delivery, client_facing=True).order_by("-created_at")[:20]
        ),
    )
    return render(request, "portal/tab.html", context)


def _tone_warnings(subject: str, body: str) -> list[tone.ToneWarning]:
    return tone.check_email(subject=subject, body=body)


def _compose(request: HttpRequest, delivery, *, key: str, contact=None, contacts=()) -> HttpResponse:
    """Edit → confirm → send. Nothing typed is lost: every step carries the text."""
    form_class = AnnouncementForm if key == services.GO_LIVE_ANNOUNCEMENT_KEY else EmailEditForm
    kwargs = {"contacts": contacts} if form_class is AnnouncementForm else {}
    step = request.POST.get("step", "edit") if request.method == "POST" else "edit"
    error = ""
    if request.method == "POST":
        form = form_class(request.POST, **kwargs)
        if step in ("confirm", "send") and form.is_valid():
            if key == services.VALIDATION_REQUEST_KEY and services.PORTAL_URL_PLACEHOLDER not in form.cleaned_data["body_text"]:
                # Said at « Vérifier », not only once the PM has clicked « Envoyer » on a text without the link.
                error, step = (
                    f"Le texte doit contenir le repère {services.PORTAL_URL_PLACEHOLDER} : il devient le lien personnel du client.",
                    "edit",
                )
            elif step == "send":
                try:
                    if key == services.VALIDATION_REQUEST_KEY:
                        services.validation_request_send(
                            delivery_id=delivery.pk, contact_id=contact.pk, user=request.user,
                            subject=form.cleaned_data["subject"], body_text=form.cleaned_data["body_text"],
                        )
                        messages.success(request, f"Demande de validation envoyée à {contact.name} avec un nouveau lien personnel.")
                    else:
                        services.go_live_announcement_send(
                            delivery_id=delivery.pk, contact_ids=[int(c) for c in form.cleaned_data["contacts"]],
                            user=request.user, subject=form.cleaned_data["subject"], body_text=form.cleaned_data["body_text"],
                        )
                        messages.success(request, "Annonce de mise en production envoyée.")
                    return redirect("portal:tab", pk=delivery.pk)
                except services.PortalError as exc:
                    error, step = str(exc), "edit"
        else:
            step = "edit"
    else:
        subject, body = services.email_draft(delivery=delivery, key=key, contact=contact)
        initial = {"subject": subject, "body_text": body}
        if form_class is AnnouncementForm:
            initial["contacts"] = [str(c.pk) for c in contacts if c.is_primary] or [str(c.pk) for c in contacts[:1]]
        form = form_class(initial=initial, **kwargs)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {
        "subject": form["subject"].value() or "", "body_text": form["body_text"].value() or ""
    }
    recipients = [contact.email] if contact else [
        c.email for c in contacts if str(c.pk) in (data.get("contacts") or [])
    ]
    context = delivery_page_context(request, delivery, tab="portal:tab")
    context.update(
        form=form,
        step=step,
        key=key,
        error=error,
        contact=contact,
        recipients=recipients,
        warnings=_tone_warnings(data.get("subject", ""), data.get("body_text", "")),
        placeholder=services.PORTAL_URL_PLACEHOLDER if key == services.VALIDATION_REQUEST_KEY else "",
        title="Demande de validation" if key == services.VALIDATION_REQUEST_KEY else "Annonce de mise en production",
        preview_html=services.comms.html_from_text(data.get("body_text", "")) if step == "confirm" else "",
    )
    return render(request, "communications/compose.html", context, status=400 if error else 200)


@login_required
def request_compose(request: HttpRequest, pk: int, contact_id: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    _agency_only(request)
    contact = get_object_or_404(delivery.project.client.contacts, pk=contact_id)
    problems = services.validation_request_check(delivery=delivery)
    if problems:
        for problem in problems:
            messages.error(request, problem)
        return redirect("portal:tab", pk=delivery.pk)
    return _compose(request, delivery, key=services.VALIDATION_REQUEST_KEY, contact=contact)


@login_required
def announcement_compose(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    _agency_only(request)
    if delivery.stage not in (Stage.GO_LIVE, Stage.FOLLOW_UP, Stage.MAINTENANCE):
        messages.error(request, "L'annonce part une fois la livraison mise en production.")
        return redirect("portal:tab", pk=delivery.pk)
    contacts = list(delivery.project.client.contacts.all())
    if not contacts:
        messages.error(request, "Le client n'a aucun contact : ajoutez-en un avant d'annoncer la mise en production.")
        return redirect("portal:tab", pk=delivery.pk)
    return _compose(request, delivery, key=services.GO_LIVE_ANNOUNCEMENT_KEY, contacts=contacts)


@login_required
@require_POST
def link_revoke(request: HttpRequest, pk: int, link_id: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    _agency_only(request)
    link = get_object_or_404(PortalLink, pk=link_id, delivery=delivery)
    try:
        services.link_revoke(link_id=link.pk, user=request.user)
        messages.success(request, f"Lien de {link.sent_to} révoqué : il ne permet plus d'accéder au portail.")
    except (services.PortalError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    return redirect("portal:tab", pk=delivery.pk)


@login_required
def document_download(request: HttpRequest, pk: int, document_id: int) -> HttpResponse:
    delivery = get_visible_delivery(request, pk)
    document = get_object_or_404(Document, pk=document_id, delivery=delivery)
    return _file_response(document.file, document.file.name.rsplit("/", 1)[-1], download=bool(request.GET.get("telecharger")))
