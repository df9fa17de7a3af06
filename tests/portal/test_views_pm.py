"""The PM's "Validation client" tab, the email editor (edit → confirm → send) and access."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from communications.models import OutboundMessage
from delivery.portal import services
from delivery.portal.models import PortalLink
from projects.vocabulary import Stage
from tests.factories import ClientContactFactory, client_validation_record, portal_link_for

pytestmark = pytest.mark.django_db


def _compose_url(delivery, contact):
    return reverse("portal:request_compose", args=[delivery.pk, contact.pk])


def test_it_shows_the_tab_to_the_pm_and_the_partner_and_hides_it_from_others(
    client, delivery_with_pv, contact, partner_user, other_partner_user
):
    url = reverse("portal:tab", args=[delivery_with_pv.pk])
    client.force_login(delivery_with_pv.project.pm)
    page = client.get(url).content.decode()
    assert "Validation écrite du client manquante" in page and contact.email in page and "Préparer la demande" in page
    client.force_login(partner_user)
    page = client.get(url)
    assert page.status_code == 200 and "Préparer la demande" not in page.content.decode()
    assert client.get(_compose_url(delivery_with_pv, contact)).status_code == 404
    client.force_login(other_partner_user)
    for name, args in (
        ("portal:tab", [delivery_with_pv.pk]),
        ("portal:request_compose", [delivery_with_pv.pk, contact.pk]),
        ("portal:announcement_compose", [delivery_with_pv.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 404, name
    client.logout()
    assert client.get(url).status_code == 302


def test_it_previews_then_sends_the_edited_request(
    pm_client, delivery_with_pv, contact, mailoutbox, django_capture_on_commit_callbacks
):
    url = _compose_url(delivery_with_pv, contact)
    page = pm_client.get(url).content.decode()
    assert services.PORTAL_URL_PLACEHOLDER in page and "Je certifie que" in page
    assert "Guide de ton respecté" in page
    subject, body = services.email_draft(delivery=delivery_with_pv, key=services.VALIDATION_REQUEST_KEY, contact=contact)
    edited = body.replace("Bien à vous", "Désolé pour le retard. Bien à vous")
    confirm = html.unescape(pm_client.post(url, {"step": "confirm", "subject": subject, "body_text": edited}).content.decode())
    assert "vérification avant envoi" in confirm
    assert "« Désolé »" in confirm and "Merci d'avoir patienté" in confirm  # warnings shown again before sending
    assert not OutboundMessage.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        sent = pm_client.post(url, {"step": "send", "subject": subject, "body_text": edited})
    assert sent.status_code == 302
    message = OutboundMessage.objects.get()
    assert message.client_facing and "Désolé pour le retard" in message.body_text
    assert len(mailoutbox) == 1 and "/portail/" in mailoutbox[0].body
    assert PortalLink.objects.get().message == message


def test_it_keeps_the_text_when_the_request_cannot_go(pm_client, delivery_with_pv, contact):
    url = _compose_url(delivery_with_pv, contact)
    response = pm_client.post(url, {"step": "send", "subject": "Validation", "body_text": "Texte sans le lien, mon texte à moi"})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "repère" in page and "Texte sans le lien, mon texte à moi" in page
    assert not PortalLink.objects.exists()


def test_it_refuses_to_compose_without_a_go_pv(pm_client, delivery, contact):
    response = pm_client.get(_compose_url(delivery, contact), follow=True)
    assert "Livraison client" in response.content.decode()


def test_it_flags_the_tone_live(pm_client):
    response = pm_client.post(
        reverse("communications:tone_check"),
        {"subject": "Petit souci", "body_text": "Le bug est corrigé, pas de souci."},
        HTTP_HX_REQUEST="true",
    )
    page = html.unescape(response.content.decode())
    assert "« bug »" in page and "Le fonctionnement est rétabli" in page and "« pas de souci »" in page


def test_it_revokes_a_link(pm_client, live_link):
    link, _token = live_link
    response = pm_client.post(reverse("portal:link_revoke", args=[link.delivery_id, link.pk]))
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None


def test_it_composes_the_go_live_announcement(pm_client, delivery_with_pv, contact, django_capture_on_commit_callbacks, mailoutbox):
    from delivery.models import Delivery

    Delivery.objects.filter(pk=delivery_with_pv.pk).update(stage=Stage.GO_LIVE)
    url = reverse("portal:announcement_compose", args=[delivery_with_pv.pk])
    page = pm_client.get(url).content.decode()
    assert delivery_with_pv.project.production_url in page and "maintenance technique" in page
    subject, body = services.email_draft(delivery=delivery_with_pv, key=services.GO_LIVE_ANNOUNCEMENT_KEY, contact=None)
    with django_capture_on_commit_callbacks(execute=True):
        response = pm_client.post(url, {"step": "send", "subject": subject, "body_text": body, "contacts": [str(contact.pk)]})
    assert response.status_code == 302
    assert mailoutbox[0].to == [contact.email] and "Félicitations" in mailoutbox[0].body


def test_it_keeps_the_tab_queries_flat(pm_client, delivery_with_pv, django_assert_max_num_queries):
    url = reverse("portal:tab", args=[delivery_with_pv.pk])
    client_validation_record(delivery_with_pv)
    pm_client.get(url)
    with django_assert_max_num_queries(40) as few:
        pm_client.get(url)
    baseline = len(few.captured_queries)
    for _ in range(6):
        other = ClientContactFactory(client=delivery_with_pv.project.client)
        portal_link_for(delivery_with_pv, other)
        client_validation_record(delivery_with_pv)
    with django_assert_max_num_queries(baseline + 2):
        pm_client.get(url)


def test_it_keeps_actions_and_documents_to_those_allowed(client, live_link, partner_user, other_partner_user):
    from django.urls import reverse as r

    from communications.models import Document

    link, token = live_link
    delivery = link.delivery
    client.post(r("portal:page", args=[token]), {"decision": "validated", "signer_name": "Camille Dupont", "consent": "on"})
    document = Document.objects.filter(delivery=delivery).first()
    client.force_login(other_partner_user)
    assert client.get(r("portal:document_download", args=[delivery.pk, document.pk])).status_code == 404
    assert client.post(r("communications:tone_check"), {"body_text": "bug"}).status_code == 404
    client.force_login(partner_user)  # the project's partner sees the file, but acts on no link
    assert client.get(r("portal:document_download", args=[delivery.pk, document.pk])).status_code == 200
    other_link, _ = portal_link_for(delivery, ClientContactFactory(client=delivery.project.client))
    assert client.post(r("portal:link_revoke", args=[delivery.pk, other_link.pk])).status_code == 404
    other_link.refresh_from_db()
    assert other_link.revoked_at is None
