"""Portal links: entropy, storage, expiry, revocation, GET never consumes, rate limit."""

from __future__ import annotations

import base64
import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import serializers
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from communications.models import OutboundMessage
from delivery.portal import services
from delivery.portal.models import PortalLink

pytestmark = pytest.mark.django_db

URL_RE = re.compile(r"https?://[^\s\"<>]+/portail/([A-Za-z0-9_\-]+)/")


def _send_request(delivery, contact, django_capture_on_commit_callbacks):
    subject, body = services.email_draft(delivery=delivery, key=services.VALIDATION_REQUEST_KEY, contact=contact)
    with django_capture_on_commit_callbacks(execute=True):
        link = services.validation_request_send(
            delivery_id=delivery.pk, contact_id=contact.pk, user=delivery.project.pm, subject=subject, body_text=body
        )
    return link


def _token_from(mail) -> str:
    match = URL_RE.search(mail.body)
    assert match, mail.body
    return match.group(1)


def _dump_database() -> str:
    chunks = []
    for model in apps.get_models():
        chunks.append(serializers.serialize("json", model._default_manager.all()))
    return "\n".join(chunks)


def test_it_draws_tokens_of_256_random_bits():
    tokens = {services.new_token() for _ in range(500)}
    assert len(tokens) == 500
    for token in list(tokens)[:50]:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 >= 128
        assert len(raw) == 32
        assert re.fullmatch(r"[A-Za-z0-9_\-]+", token)


def test_it_stores_only_the_hash_and_never_logs_the_token(
    delivery_with_pv, contact, client, mailoutbox, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    link = _send_request(delivery_with_pv, contact, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    token = _token_from(mailoutbox[0])
    link.refresh_from_db()
    assert link.token_hash == services.token_hash(token)
    assert link.message.status == OutboundMessage.Status.SENT
    # The stored email carries the placeholder, not the link.
    assert services.PORTAL_URL_PLACEHOLDER in link.message.body_text
    # The HTML part of the sent email has the link clickable.
    html = mailoutbox[0].alternatives[0][0]
    assert f'href="http' in html and token in html

    # Use the link (open, bad token on the same path shape, 404 logs) with logging on.
    assert client.get(reverse("portal:page", args=[token])).status_code == 200
    assert client.get(reverse("portal:page", args=[token[:-2] + "xx"])).status_code == 404
    response = client.post(
        reverse("portal:page", args=[token]),
        {"decision": "validated", "signer_name": "Camille Dupont", "consent": "on"},
    )
    assert response.status_code == 302
    logging.getLogger("django.request").warning("Not Found: %s", f"/portail/{token}/")

    assert token not in _dump_database()
    # Nor in the stored files: the archived email shows the placeholder.
    from communications.models import Document
    from pypdf import PdfReader
    import io

    archive = Document.objects.get(message=link.message)
    with archive.file.open("rb") as fh:
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(fh.read())).pages).replace("\n", "")
    assert "lien personnel du portail" in text and token not in text
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "/portail/" in logged  # the request log is there…
    assert token not in logged  # …with the token masked


def test_it_does_not_consume_a_link_on_get(client, live_link):
    link, token = live_link
    for _ in range(3):
        response = client.get(reverse("portal:page", args=[token]))
        assert response.status_code == 200
        assert "Je valide" in response.content.decode()
    link.refresh_from_db()
    assert link.used_at is None and link.last_opened_at is not None
    response = client.post(
        reverse("portal:page", args=[token]), {"decision": "validated", "signer_name": "Camille Dupont", "consent": "on"}
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.used_at is not None


def test_it_refuses_an_expired_link(client, live_link):
    link, token = live_link
    with time_machine.travel(timezone.now() + timedelta(days=13, hours=23), tick=False):
        assert client.get(reverse("portal:page", args=[token])).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=14, minutes=1), tick=False):
        response = client.get(reverse("portal:page", args=[token]))
        assert response.status_code == 404
        assert "demandez à votre chef de projet" in response.content.decode().lower()
        post = client.post(reverse("portal:page", args=[token]), {"decision": "validated", "signer_name": "X Y Z", "consent": "on"})
        assert post.status_code == 404
    assert not link.__class__.objects.get(pk=link.pk).used_at


def test_it_uses_the_configured_link_lifetime(settings, delivery_with_pv, contact, mailoutbox, django_capture_on_commit_callbacks):
    settings.PORTAL_LINK_DAYS = 3
    link = _send_request(delivery_with_pv, contact, django_capture_on_commit_callbacks)
    link.refresh_from_db()
    assert link.expires_at - link.issued_at == timedelta(days=3)


def test_it_refuses_a_revoked_link(client, live_link, pm):
    link, token = live_link
    services.link_revoke(link_id=link.pk, user=link.delivery.project.pm)
    response = client.get(reverse("portal:page", args=[token]))
    assert response.status_code == 404


def test_it_shows_the_same_page_for_wrong_expired_and_revoked(client, live_link, delivery_with_pv, contact):
    link, token = live_link
    wrong = client.get(reverse("portal:page", args=["x" * 43])).content
    services.link_revoke(link_id=link.pk, user=delivery_with_pv.project.pm)
    revoked = client.get(reverse("portal:page", args=[token])).content
    _link2, token2 = __import__("tests.factories", fromlist=["portal_link_for"]).portal_link_for(delivery_with_pv, contact)
    with time_machine.travel(timezone.now() + timedelta(days=15), tick=False):
        expired = client.get(reverse("portal:page", args=[token2])).content
    assert wrong == revoked == expired


def test_it_resends_with_a_new_link_and_revokes_the_old(
    delivery_with_pv, contact, client, mailoutbox, django_capture_on_commit_callbacks
):
    first = _send_request(delivery_with_pv, contact, django_capture_on_commit_callbacks)
    second = _send_request(delivery_with_pv, contact, django_capture_on_commit_callbacks)
    first.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None
    old_token, new_token = _token_from(mailoutbox[0]), _token_from(mailoutbox[1])
    assert old_token != new_token
    assert client.get(reverse("portal:page", args=[old_token])).status_code == 404
    assert client.get(reverse("portal:page", args=[new_token])).status_code == 200


def test_it_cancels_the_email_when_the_link_is_revoked_before_it_leaves(delivery_with_pv, contact, mailoutbox):
    subject, body = services.email_draft(delivery=delivery_with_pv, key=services.VALIDATION_REQUEST_KEY, contact=contact)
    link = services.validation_request_send(
        delivery_id=delivery_with_pv.pk, contact_id=contact.pk, user=delivery_with_pv.project.pm, subject=subject, body_text=body
    )  # on_commit not run: still queued
    services.link_revoke(link_id=link.pk, user=delivery_with_pv.project.pm)
    from communications.services import message_send

    assert message_send(message_id=link.message_id) is False
    link.message.refresh_from_db()
    assert link.message.status == OutboundMessage.Status.CANCELLED
    assert mailoutbox == []
    link.refresh_from_db()
    assert link.token_hash is None


def test_it_rate_limits_bad_tokens_from_one_address(settings, client, live_link):
    from django.core.cache import cache

    keys = ["portal:bad-token:127.0.0.1", "portal:bad-token:10.1.2.3"]
    cache.delete_many(keys)
    settings.PORTAL_BAD_TOKEN_LIMIT = (3, 900)
    _link, token = live_link
    for i in range(3):
        assert client.get(reverse("portal:page", args=[f"bad{i}" * 10])).status_code == 404
    # Even the right token waits now: guessing cannot continue from this address.
    assert client.get(reverse("portal:page", args=[token])).status_code == 429
    other = client.get(reverse("portal:page", args=[token]), REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200
    cache.delete_many(keys)


def test_it_sends_no_referrer_and_no_cache_headers(client, live_link):
    _link, token = live_link
    for url in (
        reverse("portal:page", args=[token]),
        reverse("portal:page", args=["nope" * 11]),
        reverse("portal:pv", args=[token]),
    ):
        response = client.get(url)
        assert response["Referrer-Policy"] == "no-referrer", url
        assert "no-store" in response["Cache-Control"], url


def test_it_requires_the_placeholder_in_an_edited_request(delivery_with_pv, contact):
    with pytest.raises(services.PortalError):
        services.validation_request_send(
            delivery_id=delivery_with_pv.pk, contact_id=contact.pk, user=delivery_with_pv.project.pm,
            subject="Validation", body_text="Bonjour, merci de valider.",
        )
    assert not PortalLink.objects.exists()


def test_it_lets_the_client_come_back_to_the_result_until_expiry(client, live_link):
    _link, token = live_link
    client.post(reverse("portal:page", args=[token]), {"decision": "validated", "signer_name": "Camille Dupont", "consent": "on"})
    page = client.get(reverse("portal:page", args=[token]))
    assert page.status_code == 200 and "Merci, votre validation est enregistrée" in page.content.decode()
    with time_machine.travel(timezone.now() + timedelta(days=15), tick=False):
        assert client.get(reverse("portal:page", args=[token])).status_code == 404
