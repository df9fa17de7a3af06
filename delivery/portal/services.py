"""Writes of the client portal: links, the validation request email, the client's
decision with its evidence, and the chain that lets anyone re-check that evidence.

The raw portal token exists only in the email that leaves the outbox: it is drawn in
`link_issue_for_message` (called by communications.message_send right before the SMTP
call), its SHA-256 is stored, and the token itself is never written anywhere.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from communications import services as comms
from communications.models import Document, OutboundMessage
from communications.pdf import render_pdf, sha256_hex
from delivery.models import Delivery, HistoryKind
from delivery.portal.models import ClientValidation, Decision, PortalLink
from delivery.services import delivery_transition, history_record
from projects.models import ClientContact
from projects.rules import is_agency
from projects.vocabulary import Stage

logger = logging.getLogger(__name__)

VALIDATION_REQUEST_KEY = "validation_request"
GO_LIVE_ANNOUNCEMENT_KEY = "go_live_announcement"
#: Stands for the contact's personal link in the stored email; replaced only in the copy
#: that goes out (see communications.services.SEND_PREPARERS).
PORTAL_URL_PLACEHOLDER = "[lien personnel du portail]"
TOKEN_BYTES = 32  # 256 random bits; the design asks for at least 128

#: Seed 004, word for word; « URL » is the delivery's preproduction address.
STATEMENT_TEMPLATE = (
    "Je certifie que l\u2019ensemble du site en préproduction (ici : {url}) est conforme à mes attentes. "
    "Je donne ainsi ma validation pour la mise en production à la date la plus proche et la plus adéquate"
)


class PortalError(Exception):
    """A refusal a person can read (French); views show it, never a 500."""


def statement_for(preprod_url: str) -> str:
    return STATEMENT_TEMPLATE.format(url=preprod_url or "adresse de préproduction communiquée par l'agence")


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def portal_url(raw: str) -> str:
    return settings.SITE_URL + reverse("portal:page", args=[raw])


def current_pv(delivery: Delivery):
    from delivery.recette.selectors import current_pv as recette_current_pv

    return recette_current_pv(delivery)


# --- links -------------------------------------------------------------------------------

def link_resolve(raw: str) -> PortalLink | None:
    """The link a token opens, if it may still be used. Reads only: a GET never consumes."""
    if not raw or len(raw) > 200:
        return None
    link = (
        PortalLink.objects.select_related("delivery__project__client", "delivery__project__pm", "contact")
        .filter(token_hash=token_hash(raw))
        .first()
    )
    if link is None or link.revoked_at is not None or link.expires_at is None or link.expires_at <= timezone.now():
        return None
    return link  # active, or used (the client may come back to the result until expiry)


def link_mark_opened(*, link: PortalLink) -> None:
    # Informative for the PM ("ouvert le …"); opening never changes what the link allows.
    PortalLink.objects.filter(pk=link.pk).update(last_opened_at=timezone.now())


def link_revoke(*, link_id: int, user: Any) -> PortalLink:
    if not is_agency(user):
        raise PermissionDenied("Seul un chef de projet révoque un lien.")
    with transaction.atomic():
        link = PortalLink.objects.select_for_update().get(pk=link_id)
        if link.revoked_at is not None:
            return link
        if link.used_at is not None:
            raise PortalError("Ce lien a déjà servi à une réponse du client : il n'est plus actif.")
        link.revoked_at = timezone.now()
        link.revoked_by = user
        link.save(update_fields=["revoked_at", "revoked_by"])
        history_record(
            delivery=link.delivery, kind=HistoryKind.VALIDATION, actor=user,
            summary=f"Lien du portail révoqué ({link.sent_to})", data={"link_id": link.pk},
        )
    return link


def link_issue_for_message(message: OutboundMessage) -> dict[str, str]:
    """SEND_PREPARERS hook: draw the token at the moment the email leaves.

    A retry after a transport error draws a new token (the previous one never reached
    anyone); a link revoked meanwhile cancels the email.
    """
    with transaction.atomic():
        link = PortalLink.objects.select_for_update().filter(message=message).first()
        if link is None:
            raise comms.MessageCancelled("Aucun lien du portail n'est attaché à cette demande de validation.")
        if link.revoked_at is not None or link.used_at is not None:
            raise comms.MessageCancelled("Le lien du portail a été révoqué avant l'envoi.")
        raw = new_token()
        now = timezone.now()
        link.token_hash = token_hash(raw)
        link.issued_at = now
        link.expires_at = now + timedelta(days=settings.PORTAL_LINK_DAYS)
        link.save(update_fields=["token_hash", "issued_at", "expires_at"])
    return {PORTAL_URL_PLACEHOLDER: portal_url(raw)}


def link_issue_direct(*, delivery: Delivery, contact: ClientContact, user: Any) -> tuple[PortalLink, str]:
    """A link handed over by the caller itself (the demo prints it) instead of emailed.
    Same rules: previous live link of the contact revoked, only the hash stored."""
    raw = new_token()
    now = timezone.now()
    with transaction.atomic():
        PortalLink.objects.filter(
            delivery=delivery, contact=contact, revoked_at__isnull=True, used_at__isnull=True
        ).update(revoked_at=now, revoked_by=user)
        link = PortalLink.objects.create(
            delivery=delivery, contact=contact, sent_to=contact.email, created_by=user, token_hash=token_hash(raw),
            issued_at=now, expires_at=now + timedelta(days=settings.PORTAL_LINK_DAYS),
        )
    return link, raw


# --- emails the PM previews and may edit ---------------------------------------------------

def _person(user: Any) -> str:
    return (user.get_full_name() or user.username) if user else ""


def email_context(*, delivery: Delivery, key: str, contact: ClientContact | None) -> dict[str, Any]:
    """What a client template may use. Only client-safe values (R13): no notes, no partner."""
    project = delivery.project
    pm = SimpleNamespace(name=_person(project.pm), email=project.pm.email, first_name=project.pm.first_name)
    ctx: dict[str, Any] = {
        "project": SimpleNamespace(name=project.name, client=project.client.name),
        "delivery": SimpleNamespace(title=delivery.title),
        "contact": SimpleNamespace(name=contact.name, email=contact.email) if contact else None,
        "pm": pm,
    }
    if key == VALIDATION_REQUEST_KEY:
        link_days = settings.PORTAL_LINK_DAYS
        ctx.update(
            portal_url=PORTAL_URL_PLACEHOLDER,
            preprod_url=project.preprod_url,
            statement=statement_for(project.preprod_url),
            expires_at=timezone.localdate() + timedelta(days=link_days),
        )
    elif key == GO_LIVE_ANNOUNCEMENT_KEY:
        ctx.update(
            site_url=project.production_url,
            backoffice_url=project.backoffice_url,
            has_maintenance=project.has_maintenance,
        )
    return ctx


def email_draft(*, delivery: Delivery, key: str, contact: ClientContact | None) -> tuple[str, str]:
    subject, text, _html = comms.template_render(key=key, context=email_context(delivery=delivery, key=key, contact=contact))
    return subject, text


def _client_contact(delivery: Delivery, contact_id: int) -> ClientContact:
    contact = ClientContact.objects.filter(pk=contact_id, client_id=delivery.project.client_id).first()
    if contact is None:
        raise PortalError("Ce contact n'appartient pas au client du projet.")
    return contact


def _clean_email(subject: str, body_text: str) -> tuple[str, str]:
    subject = " ".join((subject or "").split())
    body_text = (body_text or "").strip()
    if not subject:
        raise PortalError("L'objet de l'e-mail est vide.")
    if not body_text:
        raise PortalError("Le texte de l'e-mail est vide.")
    return subject, body_text + "\n"


def validation_request_check(*, delivery: Delivery) -> list[str]:
    """Why a validation request cannot be sent now (empty list: it can)."""
    problems = []
    if delivery.stage != Stage.DELIVERY:
        problems.append("La demande de validation s'envoie quand la livraison est à l'étape « Livraison client ».")
    pv = current_pv(delivery)
    if pv is None:
        problems.append("Aucun PV de recette n'a été généré : le client valide le PV en cours.")
    elif not pv.is_go:
        problems.append(f"Le PV de recette v{pv.number} est {pv.get_decision_display()} : il doit être GO pour demander la validation.")
    if not delivery.project.preprod_url:
        problems.append("L'URL de préproduction du projet n'est pas renseignée (elle figure dans la déclaration).")
    return problems


def validation_request_send(
    *, delivery_id: int, contact_id: int, user: Any, subject: str, body_text: str
) -> PortalLink:
    """Queue the validation request to one contact with a new personal link.

    Any live link of that contact for this delivery is revoked first ("renvoyer" = a new
    link, the old one no longer works).
    """
    if not is_agency(user):
        raise PermissionDenied("Seul un chef de projet envoie la demande de validation.")
    subject, body_text = _clean_email(subject, body_text)
    if PORTAL_URL_PLACEHOLDER not in body_text:
        raise PortalError(f"Le texte doit contenir le repère {PORTAL_URL_PLACEHOLDER} : il devient le lien personnel du client.")
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update(of=("self",)).select_related("project__client").get(pk=delivery_id)
        problems = validation_request_check(delivery=delivery)
        if problems:
            raise PortalError(" ".join(problems))
        contact = _client_contact(delivery, contact_id)
        now = timezone.now()
        revoked = list(
            PortalLink.objects.select_for_update().filter(
                delivery=delivery, contact=contact, revoked_at__isnull=True, used_at__isnull=True
            )
        )
        for old in revoked:
            old.revoked_at, old.revoked_by = now, user
            old.save(update_fields=["revoked_at", "revoked_by"])
        message = comms.message_queue(
            to=[contact.email],
            subject=subject,
            body_text=body_text,
            body_html=comms.html_from_text(body_text),
            delivery=delivery,
            template_key=VALIDATION_REQUEST_KEY,
            client_facing=True,
            archive_pdf=True,
        )
        link = PortalLink.objects.create(
            delivery=delivery, contact=contact, sent_to=contact.email, message=message, created_by=user
        )
        history_record(
            delivery=delivery, kind=HistoryKind.EMAIL, actor=user,
            summary=f"Demande de validation envoyée à {contact.name} ({contact.email})"
            + (" — nouveau lien, l'ancien est révoqué" if revoked else ""),
            data={"message_id": message.pk, "link_id": link.pk, "revoked_link_ids": [r.pk for r in revoked]},
        )
    return link


def go_live_announcement_send(
    *, delivery_id: int, contact_ids: list[int], user: Any, subject: str, body_text: str
) -> OutboundMessage:
    """Seed 004's « Félicitations ! le nouveau site est en ligne », once the site is live."""
    if not is_agency(user):
        raise PermissionDenied("Seul un chef de projet annonce la mise en production.")
    subject, body_text = _clean_email(subject, body_text)
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update(of=("self",)).select_related("project__client").get(pk=delivery_id)
        if delivery.stage not in (Stage.GO_LIVE, Stage.FOLLOW_UP, Stage.MAINTENANCE):
            raise PortalError("L'annonce part une fois la livraison mise en production.")
        contacts = [_client_contact(delivery, cid) for cid in contact_ids]
        if not contacts:
            raise PortalError("Choisissez au moins un destinataire.")
        message = comms.message_queue(
            to=[c.email for c in contacts],
            subject=subject,
            body_text=body_text,
            body_html=comms.html_from_text(body_text),
            delivery=delivery,
            template_key=GO_LIVE_ANNOUNCEMENT_KEY,
            client_facing=True,
            archive_pdf=True,
        )
        history_record(
            delivery=delivery, kind=HistoryKind.EMAIL, actor=user,
            summary="Annonce de mise en production envoyée à " + ", ".join(c.email for c in contacts),
            data={"message_id": message.pk},
        )
    return message


# --- the client's decision -----------------------------------------------------------------

CHAIN_FIELDS: tuple[str, ...] = (
    "delivery_id", "contact_id", "link_id", "sent_to", "signer_name", "decision", "comment",
    "statement", "statement_sha256", "pv_version_id", "pv_number", "pv_sha256", "signed_at",
    "ip_address", "user_agent", "signed_pv_sha256", "previous_hash",
)


def canonical_bytes(record: ClientValidation) -> bytes:
    """The canonical serialization hashed into `record_hash`.

    JSON object of CHAIN_FIELDS, keys sorted, no whitespace (separators "," and ":"),
    UTF-8 without escaping; `signed_at` as ISO 8601 in UTC with microseconds
    (e.g. "2026-11-21T15:04:05.123456+00:00"); empty values as "" and null as null.
    """
    values: dict[str, Any] = {}
    for name in CHAIN_FIELDS:
        value = getattr(record, name)
        if name == "signed_at":
            value = value.astimezone(UTC).isoformat(timespec="microseconds")
        values[name] = value
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_hash(record: ClientValidation) -> str:
    return hashlib.sha256(canonical_bytes(record)).hexdigest()


@dataclass
class ChainReport:
    ok: bool
    count: int
    problems: list[str] = field(default_factory=list)


def _file_sha(file_field) -> str | None:
    if not file_field:
        return None
    try:
        with file_field.open("rb") as fh:
            return sha256_hex(fh.read())
    except FileNotFoundError:
        return None


def recompute_chain(delivery: Delivery) -> ChainReport:
    """Re-check every validation record of a delivery from the stored data alone."""
    problems: list[str] = []
    previous = ""
    records = list(
        ClientValidation.objects.filter(delivery=delivery).select_related("pv_version", "certificate", "signed_pv").order_by("pk")
    )
    for r in records:
        label = f"Enregistrement n°{r.pk}"
        if r.previous_hash != previous:
            problems.append(f"{label} : le chaînage avec l'enregistrement précédent est rompu.")
        if hashlib.sha256(r.statement.encode("utf-8")).hexdigest() != r.statement_sha256:
            problems.append(f"{label} : la déclaration ne correspond plus à son empreinte.")
        if r.pv_version.sha256 != r.pv_sha256 or _file_sha(r.pv_version.file) != r.pv_sha256:
            problems.append(f"{label} : le PV v{r.pv_number} ne correspond plus à son empreinte.")
        if r.signed_pv_id and (r.signed_pv.sha256 != r.signed_pv_sha256 or _file_sha(r.signed_pv.file) != r.signed_pv_sha256):
            problems.append(f"{label} : le PV signé ne correspond plus à son empreinte.")
        if r.certificate_id and _file_sha(r.certificate.file) != r.certificate.sha256:
            problems.append(f"{label} : le certificat ne correspond plus à son empreinte.")
        if record_hash(r) != r.record_hash:
            problems.append(f"{label} : le contenu ne correspond plus à son empreinte.")
        previous = r.record_hash
    return ChainReport(ok=not problems, count=len(records), problems=problems)


def client_pv_snapshot(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The PV as the client sees it (R13): no internal anomaly, no documented exception,
    no partner, no tester names or internal comments. The figures and decision are the PV's."""
    visible = {a["number"] for a in snapshot.get("anomalies", []) if a.get("client_visible")}
    return {
        **snapshot,
        "partner": "",
        # The justifications stay internal; the client copy says they exist (R9) without their content.
        "exceptions": [
            {
                "what": f"{len(snapshot['exceptions'])} exception(s) documentée(s) par l'agence",
                "justification": "Consultables sur demande auprès de votre chef de projet.",
                "who": "",
                "when": "",
            }
        ]
        if snapshot.get("exceptions")
        else [],
        "anomalies": [a for a in snapshot.get("anomalies", []) if a.get("number") in visible],
        "reserves": [a for a in snapshot.get("reserves", []) if a.get("number") in visible],
        "cases": [{**c, "tester": "", "comment": ""} for c in snapshot.get("cases", [])],
    }


def client_pv_render(pv_version, validation: Any = None) -> bytes:
    from delivery.recette.pdf import pv_render_snapshot

    return pv_render_snapshot(client_pv_snapshot(pv_version.snapshot), validation)


@dataclass
class SubmitResult:
    ok: bool
    validation: ClientValidation | None = None
    error: str = ""
    created: bool = False
    cap_reached: bool = False


def _ip(value: str | None) -> str | None:
    try:
        return ipaddress.ip_address((value or "").strip()).compressed
    except ValueError:
        return None


def validation_submit(
    *,
    link_id: int,
    decision: str,
    signer_name: str = "",
    consent: bool = False,
    comment: str = "",
    ip: str | None = None,
    user_agent: str = "",
    seen_pv_number: int | None = None,
) -> SubmitResult:
    """Record the client's decision once per link, with its evidence.

    The link row is locked first: a double submit (two tabs, a double click) waits, then
    finds the record and creates nothing (the one-to-one on `link` is the last guard).
    """
    signer_name = " ".join((signer_name or "").split())
    comment = (comment or "").strip()
    if decision == Decision.VALIDATED:
        if len(signer_name) < 3:
            return SubmitResult(ok=False, error="Saisissez votre nom complet pour signer.")
        if not consent:
            return SubmitResult(ok=False, error="Cochez la case pour confirmer la déclaration.")
    elif decision == Decision.DECLINED:
        if len(comment) < 5:
            return SubmitResult(ok=False, error="Décrivez vos retours : ils ouvrent le prochain cycle de corrections.")
    else:
        return SubmitResult(ok=False, error="Choisissez de valider ou de transmettre vos retours.")

    with transaction.atomic():
        link = PortalLink.objects.select_for_update().get(pk=link_id)
        existing = ClientValidation.objects.filter(link_id=link.pk).first()
        if existing is not None:
            return SubmitResult(ok=True, validation=existing, created=False)
        if link.state != PortalLink.State.ACTIVE:
            return SubmitResult(ok=False, error="Ce lien n'est plus valable. Demandez un nouveau lien à votre chef de projet.")
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("project__client", "project__pm")
            .get(pk=link.delivery_id)
        )
        if delivery.stage != Stage.DELIVERY:
            return SubmitResult(ok=False, error="Cette livraison n'attend pas de réponse pour le moment. Votre chef de projet vous recontactera.")
        pv = current_pv(delivery)
        if pv is None or (decision == Decision.VALIDATED and not pv.is_go):
            return SubmitResult(ok=False, error="Le PV de recette a changé depuis l'envoi du lien. Votre chef de projet vous recontactera.")
        if seen_pv_number is not None and seen_pv_number != pv.number:
            # The client answers about the PV they had on screen, never about one they have not seen.
            return SubmitResult(
                ok=False, error=f"Le PV de recette vient d'être mis à jour (version {pv.number}) : relisez-le avant de répondre."
            )
        record = _build_record(delivery, link, pv, decision, signer_name, comment, ip, user_agent)
        link.used_at = record.signed_at
        link.save(update_fields=["used_at"])
        _after_decision(delivery, record)
        if decision == Decision.VALIDATED:
            _notify_pm(delivery, record)
    cap_reached = False
    if decision == Decision.DECLINED:
        cap_reached = _open_feedback_round(delivery, record)
    return SubmitResult(ok=True, validation=record, created=True, cap_reached=cap_reached)


def _build_record(delivery, link, pv, decision, signer_name, comment, ip, user_agent) -> ClientValidation:
    statement = statement_for(delivery.project.preprod_url)
    previous = ClientValidation.objects.filter(delivery=delivery).order_by("-pk").values_list("record_hash", flat=True).first()
    record = ClientValidation(
        delivery=delivery,
        contact_id=link.contact_id,
        link=link,
        sent_to=link.sent_to,
        signer_name=signer_name,
        decision=decision,
        comment=comment,
        statement=statement,
        statement_sha256=hashlib.sha256(statement.encode("utf-8")).hexdigest(),
        pv_version=pv,
        pv_number=pv.number,
        pv_sha256=pv.sha256,
        signed_at=timezone.now(),
        ip_address=_ip(ip),
        user_agent=(user_agent or "")[:500],
        previous_hash=previous or "",
    )
    stamp = record.signed_at.strftime("%Y%m%d-%H%M%S")
    if decision == Decision.VALIDATED:
        # A "PV signé" copy: the version itself is never altered; this copy has its own hash.
        signed = client_pv_render(pv, validation=_signature(record, pv))
        record.signed_pv_sha256 = sha256_hex(signed)
        record.signed_pv = comms.document_store(
            delivery=delivery,
            kind=Document.Kind.SIGNED_PV,
            title=f"PV de recette v{pv.number} signé par {signer_name}",
            filename=f"pv-v{pv.number}-signe-{stamp}.pdf",
            content=signed,
        )
    record.record_hash = record_hash(record)
    if decision == Decision.VALIDATED:
        certificate = render_pdf("portal/pdf/certificate.html", certificate_context(record, delivery=delivery))
        record.certificate = comms.document_store(
            delivery=delivery,
            kind=Document.Kind.CERTIFICATE,
            title=f"Certificat de validation — PV v{pv.number} — {signer_name}",
            filename=f"certificat-validation-{stamp}.pdf",
            content=certificate,
        )
    record.save()
    return record


def _signature(record: ClientValidation, pv) -> SimpleNamespace:
    """What the PV's signature block shows (recette.pdf.pv_render's `validation`)."""
    return SimpleNamespace(
        signer_name=record.signer_name,
        signed_at=timezone.localtime(record.signed_at),
        statement_sha256=record.statement_sha256,
        decision=pv.get_decision_display(),
    )


def certificate_context(record: ClientValidation, *, delivery: Delivery) -> dict[str, Any]:
    project = delivery.project
    return {
        "v": record,
        "client_name": project.client.name,
        "project_name": project.name,
        "delivery_title": delivery.title,
        "contact_name": record.contact.name,
        "pm_name": _person(project.pm),
        "signed_at_utc": record.signed_at.astimezone(UTC),
        "signed_at_local": timezone.localtime(record.signed_at),
        "canonical_fields": ", ".join(CHAIN_FIELDS),
    }


def _after_decision(delivery: Delivery, record: ClientValidation) -> None:
    verb = "a validé" if record.is_validated else "a transmis des retours sur"
    history_record(
        delivery=delivery, kind=HistoryKind.VALIDATION,
        summary=f"{record.signer_name or record.contact.name} {verb} le PV v{record.pv_number} (portail client)",
        note=record.comment,
        data={"validation_id": record.pk, "decision": record.decision, "pv_number": record.pv_number, "on_behalf_of": "client"},
    )
    subject, text, html = comms.template_render(key="validation_received_client", context=_decision_context(delivery, record))
    comms.message_queue(
        to=[record.sent_to], subject=subject, body_text=text, body_html=html, delivery=delivery,
        template_key="validation_received_client", client_facing=True, archive_pdf=True,
    )


def _decision_context(delivery: Delivery, record: ClientValidation) -> dict[str, Any]:
    return {
        **email_context(delivery=delivery, key="", contact=record.contact),
        "validation": SimpleNamespace(
            signer_name=record.signer_name,
            decision=record.decision,
            decision_label=record.get_decision_display(),
            is_validated=record.is_validated,
            comment=record.comment,
            signed_at=timezone.localtime(record.signed_at),
            pv_number=record.pv_number,
        ),
    }


def _notify_pm(delivery: Delivery, record: ClientValidation, *, cap_reached: bool = False, blockers: list[str] | None = None) -> None:
    pm_email = delivery.project.pm.email
    if not pm_email:
        return
    subject, text, html = comms.template_render(
        key="validation_received_pm",
        context={
            **_decision_context(delivery, record),
            "delivery_url": settings.SITE_URL + reverse("portal:tab", args=[delivery.pk]),
            "cap_reached": cap_reached,
            "blockers": blockers or [],
        },
    )
    comms.message_queue(
        to=[pm_email], subject=subject, body_text=text, body_html=html, delivery=delivery,
        template_key="validation_received_pm", archive_pdf=True,
    )


def _open_feedback_round(delivery: Delivery, record: ClientValidation) -> bool:
    """A decline opens a new feedback round (R6). Past the cap the decline stays
    recorded and the PM is told: an avenant or a documented exception decides."""
    result = delivery_transition(
        delivery_id=delivery.pk, name="open_feedback_cycle", user=None, on_behalf_of="client", note=record.comment
    )
    if result.ok:
        with transaction.atomic():
            _notify_pm(delivery, record)
        return False
    reasons = [b.message for b in result.blockers] or [result.error]
    with transaction.atomic():
        history_record(
            delivery=delivery, kind=HistoryKind.VALIDATION,
            summary="Retours du client reçus, mais le plafond de cycles de retours est atteint (R6) : avenant ou exception à décider",
            note=" ".join(reasons),
            data={"validation_id": record.pk, "blockers": reasons},
        )
        _notify_pm(delivery, record, cap_reached=True, blockers=reasons)
    return True
