"""The outbox: stored first, sent after commit by the task, at most once, retried with
backoff, validation emails archived as PDFs; one email really delivered over SMTP."""

from __future__ import annotations

import io
import socket
import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from communications import services
from communications.models import Document, OutboundMessage
from projects.evidence import AppendOnlyError

pytestmark = pytest.mark.django_db


def _queue(**extra):
    return services.message_queue(
        to=["camille@client.example"], subject="Votre site", body_text="Bonjour,\nLe site est prêt.\n", **extra
    )


def test_it_stores_then_sends_after_commit(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = _queue()
    assert message.status == OutboundMessage.Status.QUEUED and mailoutbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT and message.attempts == 1 and message.sent_at
    assert len(mailoutbox) == 1 and mailoutbox[0].subject == "Votre site"


def test_it_never_sends_a_message_twice(mailoutbox):
    message = _queue()
    assert services.message_send(message_id=message.pk) is True
    assert services.message_send(message_id=message.pk) is False
    assert len(mailoutbox) == 1


def test_it_retries_with_backoff_then_gives_up(settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.communications.failing_backend.FailingBackend"
    message = _queue()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert services.message_send(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.QUEUED and message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at == start + timedelta(minutes=1)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert services.outbox_due_ids() == []  # not before its backoff
        assert services.message_send(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.attempts == 1
    now = start
    for attempt in range(2, services.MAX_ATTEMPTS + 1):
        now = message.next_attempt_at
        with time_machine.travel(now, tick=False):
            assert services.outbox_due_ids() == [message.pk]
            services.message_send(message_id=message.pk)
        message.refresh_from_db()
        assert message.attempts == attempt
        if attempt < services.MAX_ATTEMPTS:
            assert message.next_attempt_at - now == timedelta(minutes=2 ** (attempt - 1))
    assert message.status == OutboundMessage.Status.FAILED
    assert mailoutbox == []


def test_it_requeues_a_send_stuck_since_its_claim(mailoutbox):
    message = _queue()
    # Claimed long after it was queued: the claim time, not the queue time, counts.
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(hours=3))
    claimed_at = timezone.now()
    OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.SENDING, next_attempt_at=claimed_at)
    assert services.message_requeue_stuck() == 0
    with time_machine.travel(claimed_at + timedelta(minutes=16), tick=False):
        assert services.message_requeue_stuck() == 1
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.QUEUED


def test_it_archives_a_validation_email_as_pdf(delivery, mailoutbox):
    message = _queue(delivery=delivery, archive_pdf=True, template_key="validation_received_client")
    services.message_send(message_id=message.pk)
    document = Document.objects.get(message=message)
    assert document.delivery == delivery and document.kind == Document.Kind.EMAIL
    with document.file.open("rb") as fh:
        data = fh.read()
    assert services.sha256_hex(data) == document.sha256
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Votre site" in text and "camille@client.example" in text and "Le site est prêt" in text
    assert services.message_archive(message_id=message.pk) == document  # idempotent
    with pytest.raises(AppendOnlyError):
        document.delete()


def test_it_does_not_archive_other_emails(delivery, mailoutbox):
    message = _queue(delivery=delivery)
    services.message_send(message_id=message.pk)
    assert not Document.objects.exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_it_delivers_over_smtp_to_a_real_server(settings):
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            received.append(envelope)
            return "250 Message accepted for delivery"

    port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        message = services.message_queue(
            to=["camille@client.example"], subject="Félicitations, le site est en ligne",
            body_text="Bonjour,\nLe nouveau site est en ligne.\n", body_html="<p>Le nouveau site est en ligne.</p>",
        )
        assert services.message_send(message_id=message.pk) is True
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        controller.stop()
    assert len(received) == 1
    envelope = received[0]
    assert envelope.rcpt_tos == ["camille@client.example"]
    parsed = __import__("email").message_from_bytes(envelope.content, policy=__import__("email.policy").policy.default)
    assert parsed["Subject"] == "Félicitations, le site est en ligne"
    assert "Le nouveau site est en ligne." in parsed.get_body(("plain",)).get_content()
    assert "<p>Le nouveau site est en ligne.</p>" in parsed.get_body(("html",)).get_content()
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert not mail.outbox
