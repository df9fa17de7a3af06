"""Writes on the outbox. A message is stored first, then sent by a task queued after commit."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template import Context, Template
from django.utils import timezone

from communications.models import EmailTemplate, OutboundMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 minutes… between attempts; the sweep picks the message up again."""
    return timedelta(minutes=2 ** max(attempts - 1, 0))


def template_render(*, key: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of a stored template rendered with `context`."""
    tpl = EmailTemplate.objects.get(key=key)
    ctx = Context(context, autoescape=False)
    subject = Template(tpl.subject).render(ctx).strip()
    text = Template(tpl.body_text).render(ctx).strip() + "\n"
    html = Template(tpl.body_html).render(Context(context)) if tpl.body_html else ""
    return subject, text, html


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
    )
    send_message.delay_on_commit(message.pk)
    return message


def message_send(*, message_id: int) -> bool:
    """Send one queued message once. Returns True if this call sent it.

    The conditional update is the claim: of two workers racing, exactly one gets 1 row.
    """
    now = timezone.now()
    claimed = OutboundMessage.objects.filter(
        pk=message_id, status=OutboundMessage.Status.QUEUED, next_attempt_at__lte=now
    ).update(status=OutboundMessage.Status.SENDING, attempts=F("attempts") + 1)
    if claimed != 1:
        return False
    message = OutboundMessage.objects.get(pk=message_id)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=message.to,
        cc=message.cc,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    try:
        email.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - any transport error is recorded and retried
        failed_for_good = message.attempts >= MAX_ATTEMPTS
        OutboundMessage.objects.filter(pk=message.pk).update(
            status=OutboundMessage.Status.FAILED if failed_for_good else OutboundMessage.Status.QUEUED,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=timezone.now() + backoff(message.attempts),
        )
        logger.warning("Outbox message %s failed (attempt %s): %s", message.pk, message.attempts, type(exc).__name__)
        return False
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundMessage.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def outbox_due_ids(*, limit: int = 200) -> list[int]:
    """Queued messages whose (re)try time has come: the sweep sends them again."""
    return list(
        OutboundMessage.objects.filter(
            status=OutboundMessage.Status.QUEUED, next_attempt_at__lte=timezone.now()
        ).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )


def message_requeue_stuck(*, older_than: timedelta = timedelta(minutes=15)) -> int:
    """A worker killed mid-send leaves a row in 'sending'; give it back to the sweep.

    Sending is at-least-once at the SMTP level only in that crash window.
    """
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        return OutboundMessage.objects.filter(
            status=OutboundMessage.Status.SENDING, next_attempt_at__lte=cutoff
        ).update(status=OutboundMessage.Status.QUEUED)
