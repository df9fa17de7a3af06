"""The Validation client tab as the partner and the PM read it."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_tells_the_partner_the_agency_sends_the_request(partner_client, delivery_with_pv, contact):
    body = partner_client.get(reverse("portal:tab", args=[delivery_with_pv.pk])).content.decode()
    assert "Contacts du client" in body and "Demander la validation" not in body
    assert "L'agence envoie la demande de validation au client" in body
    assert "Préparer la demande" not in body


def test_it_offers_the_pm_to_request_the_validation(pm_client, delivery_with_pv, contact):
    body = pm_client.get(reverse("portal:tab", args=[delivery_with_pv.pk])).content.decode()
    assert "Demander la validation" in body and "Préparer la demande" in body
    # A hidden header cell leaves the table's header row one column short.
    assert '<th class="visually-hidden">' not in body


def test_it_flags_a_missing_portal_link_marker_before_the_confirmation(pm_client, delivery_with_pv, contact, mailoutbox):
    """Seen in the walk-through: a request without the link marker reached the « Envoyer »
    screen and was only refused after the PM clicked it."""
    from delivery.portal import services

    url = reverse("portal:request_compose", args=[delivery_with_pv.pk, contact.pk])
    subject, body = services.email_draft(delivery=delivery_with_pv, key=services.VALIDATION_REQUEST_KEY, contact=contact)
    body = body.replace(services.PORTAL_URL_PLACEHOLDER, "") + "\nMa note"
    response = pm_client.post(url, {"subject": subject, "body_text": body, "step": "confirm"})
    assert response.context["step"] == "edit"
    page = response.content.decode()
    assert "Le texte doit contenir le repère" in page and "Ma note" in page
    assert 'value="send"' not in page
    assert mailoutbox == []
