"""Writes on the outbox. A message is stored first, then sent by a task queued after commit.

Delivery guarantees: `message_send` claims a row with a conditional update (exactly one
worker wins), so a message is sent at most once, except in the window where a worker
dies between the SMTP call and the status update (then the sweep's
`message_requeue_stuck` hands it back: at-least-once in that window only).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template import Context, Template
from django.template.defaultfilters import linebreaks_filter, urlize
from django.utils import timezone
from django.utils.html import escape

from communications.models import Document, EmailTemplate, OutboundMessage
from communications.pdf import render_pdf, sha256_hex

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


class MessageCancelled(Exception):
    """Raised by a preparer when the message must not leave any more (e.g. its portal
    link was revoked before the email went out)."""


#: template_key -> `(message) -> {placeholder: value}`. Some emails carry a secret that
#: must never be stored, not even in the outbox (a portal link's token). The app that
#: owns the secret registers a preparer; it runs right before the SMTP call and its
#: substitutions are applied to the outgoing email only.
SEND_PREPARERS: dict[str, Callable[[OutboundMessage], dict[str, str]]] = {}


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 minutes… between attempts; the sweep picks the message up again."""
    return timedelta(minutes=2 ** max(attempts - 1, 0))


def template_render(*, key: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of a stored template rendered with `context`."""
    tpl = EmailTemplate.objects.get(key=key)
    ctx = Context(context, autoescape=False)
    subject = " ".join(Template(tpl.subject).render(ctx).split())
    text = Template(tpl.body_text).render(ctx).strip() + "\n"
    html = Template(tpl.body_html).render(Context(context)) if tpl.body_html else ""
    return subject, text, html


def html_from_text(text: str) -> str:
    """The HTML part of an email a PM edited as text: the same words, links clickable,
    so both parts always say the same thing."""
    body = linebreaks_filter(urlize(escape(text.strip()), autoescape=False))
    return (
        '<div style="font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1f2430">'
        f"{body}</div>"
    )


def message_queue(
    *,
    to: list[str],
    subject: str,
    body_text: str,
    body_html: str = "",
    delivery: Any = None,
    template_key: str = "",
    client_facing: bool = False,
    cc: list[str] | None = None,
    archive_pdf: bool = False,
) -> OutboundMessage:
    """Store a message and queue its sending after the surrounding transaction commits."""
    from communications.tasks import send_message  # tasks import services: keep the cycle lazy

    message = OutboundMessage.objects.create(
        delivery=delivery,
        template_key=template_key,
        client_facing=client_facing,
        to=list(to),
        cc=list(cc or []),
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        archive_pdf=archive_pdf,
    )
    send_message.delay_on_commit(message.pk)
    return message


def _substitute(text: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def _html_value(value: str) -> str:
    if value.startswith(("https://", "http://")):
        return f'<a href="{escape(value)}">{escape(value)}</a>'
    return escape(value)


def _finish(message_id: int, **fields: Any) -> None:
    # Only the worker holding the claim may finish the row.
    OutboundMessage.objects.filter(pk=message_id, status=OutboundMessage.Status.SENDING).update(**fields)


def message_send(*, message_id: int) -> bool:
    """Send one queued message once. Returns True if this call sent it.

    The conditional update is the claim: of two workers racing, exactly one gets 1 row.
    The claim also stamps `next_attempt_at` with the claim time, which is what
    `message_requeue_stuck` measures a stuck send from.
    """
    now = timezone.now()
    claimed = OutboundMessage.objects.filter(
        pk=message_id, status=OutboundMessage.Status.QUEUED, next_attempt_at__lte=now
    ).update(status=OutboundMessage.Status.SENDING, attempts=F("attempts") + 1, next_attempt_at=now)
    if claimed != 1:
        return False
    message = OutboundMessage.objects.get(pk=message_id)
    try:
        values = SEND_PREPARERS[message.template_key](message) if message.template_key in SEND_PREPARERS else {}
    except MessageCancelled as exc:
        _finish(message.pk, status=OutboundMessage.Status.CANCELLED, last_error=str(exc)[:2000])
        logger.info("Outbox message %s cancelled before sending", message.pk)
        return False
    except Exception as exc:  # noqa: BLE001 - never leave a claimed row in 'sending'
        _fail(message, exc)
        return False
    email = EmailMultiAlternatives(
        subject=_substitute(message.subject, values),
        body=_substitute(message.body_text, values),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=message.to,
        cc=message.cc,
    )
    if message.body_html:
        html_values = {k: _html_value(v) for k, v in values.items()}
        email.attach_alternative(_substitute(message.body_html, html_values), "text/html")
    try:
        email.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - any transport error is recorded and retried
        _fail(message, exc)
        return False
    _finish(message.pk, status=OutboundMessage.Status.SENT, sent_at=timezone.now(), last_error="")
    if message.archive_pdf:
        try:
            message_archive(message_id=message.pk)
        except Exception:  # noqa: BLE001 - the email is gone; a missing archive is retried by hand, not resent
            logger.exception("Outbox message %s sent but not archived", message.pk)
    return True


def _fail(message: OutboundMessage, exc: Exception) -> None:
    failed_for_good = message.attempts >= MAX_ATTEMPTS
    _finish(
        message.pk,
        status=OutboundMessage.Status.FAILED if failed_for_good else OutboundMessage.Status.QUEUED,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        next_attempt_at=timezone.now() + backoff(message.attempts),
    )
    logger.warning("Outbox message %s failed (attempt %s): %s", message.pk, message.attempts, type(exc).__name__)


def message_archive(*, message_id: int) -> Document:
    """Keep a sent email as a PDF with its delivery's documents (idempotent).

    The archive shows the stored text: a secret substituted at sending time (a portal
    link) appears as its placeholder, so the archive never holds it.
    """
    existing = Document.objects.filter(message_id=message_id).first()
    if existing is not None:
        return existing
    message = OutboundMessage.objects.get(pk=message_id)
    pdf = render_pdf(
        "communications/pdf/email.html",
        {"message": message, "from_email": settings.DEFAULT_FROM_EMAIL, "generated_at": timezone.now()},
    )
    stamp = (message.sent_at or timezone.now()).strftime("%Y%m%d-%H%M%S")
    document = Document(
        delivery_id=message.delivery_id,
        kind=Document.Kind.EMAIL,
        title=f"E-mail « {message.subject} »"[:250],
        sha256=sha256_hex(pdf),
        message=message,
    )
    document.file.save(f"email-{message.pk}-{stamp}.pdf", ContentFile(pdf), save=False)
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:  # archived meanwhile by another worker
        document.file.delete(save=False)
        return Document.objects.get(message_id=message_id)
    return document


def document_store(*, delivery: Any, kind: str, title: str, filename: str, content: bytes) -> Document:
    """Store a generated file (certificate, signed PV…) with a delivery's documents."""
    document = Document(delivery=delivery, kind=kind, title=title[:250], sha256=sha256_hex(content))
    document.file.save(filename, ContentFile(content), save=False)
    document.save()
    return document


def outbox_due_ids(*, limit: int = 200) -> list[int]:
    """Queued messages whose (re)try time has come: the sweep sends them again."""
    return list(
        OutboundMessage.objects.filter(
            status=OutboundMessage.Status.QUEUED, next_attempt_at__lte=timezone.now()
        ).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )


def message_requeue_stuck(*, older_than: timedelta = timedelta(minutes=15)) -> int:
    """A worker killed mid-send leaves a row in 'sending'; give it back to the sweep.

    `next_attempt_at` of a row in 'sending' is its claim time. Sending is at-least-once
    at the SMTP level only in that crash window.
    """
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        return OutboundMessage.objects.filter(
            status=OutboundMessage.Status.SENDING, next_attempt_at__lte=cutoff
        ).update(status=OutboundMessage.Status.QUEUED)
