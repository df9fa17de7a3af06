"""Demo data for the client portal: validations signed on the portal for the demo
deliveries past "Livraison client", a live link to try the portal, and a validation
request that went through the outbox (archived as PDF). Safe to run twice."""

from __future__ import annotations

from typing import Any

from delivery.models import Delivery
from delivery.portal import services
from delivery.portal.models import ClientValidation, Decision, PortalLink
from projects.models import User
from projects.vocabulary import Stage


def _contact(delivery: Delivery):
    return delivery.project.client.contacts.order_by("-is_primary", "pk").first()


def satisfy_client_validation(delivery: Delivery, pm: User) -> None:
    """Delivery → go-live: the client validates the current PV on the portal (R10)."""
    contact = _contact(delivery)
    pv = services.current_pv(delivery)
    if contact is None or pv is None:
        return
    if ClientValidation.objects.filter(delivery=delivery, pv_version=pv, decision=Decision.VALIDATED).exists():
        return
    link, _raw = services.link_issue_direct(delivery=delivery, contact=contact, user=delivery.project.pm)
    services.validation_submit(
        link_id=link.pk, decision=Decision.VALIDATED, signer_name=contact.name, consent=True,
        ip="192.0.2.10", user_agent="Mozilla/5.0 (démonstration)",
    )


def demo_populate(*, stdout: Any) -> None:
    waiting = Delivery.objects.filter(stage=Stage.DELIVERY).select_related("project__client", "project__pm").order_by("pk")
    for delivery in waiting:
        contacts = list(delivery.project.client.contacts.order_by("-is_primary", "pk"))
        if services.current_pv(delivery) is None:
            # The client validates a PV: let the recette's demo run the client UAT and make it.
            from delivery.recette.demo import satisfy_client_recette

            satisfy_client_recette(delivery, delivery.project.pm)
        if not contacts or services.validation_request_check(delivery=delivery):
            continue
        # A fresh personal link each run (tokens are never stored, so an old one cannot be shown again).
        _link, raw = services.link_issue_direct(delivery=delivery, contact=contacts[0], user=delivery.project.pm)
        stdout.write(f"  Portail client de « {delivery} » ({contacts[0].name}) : {services.portal_url(raw)}")
        # Another contact got the request by email, through the outbox (archived with the documents).
        if len(contacts) > 1 and not PortalLink.objects.filter(delivery=delivery, contact=contacts[1]).exists():
            subject, body = services.email_draft(delivery=delivery, key=services.VALIDATION_REQUEST_KEY, contact=contacts[1])
            services.validation_request_send(
                delivery_id=delivery.pk, contact_id=contacts[1].pk, user=delivery.project.pm, subject=subject, body_text=body
            )
    signed = ClientValidation.objects.filter(decision=Decision.VALIDATED).count()
    stdout.write(f"  Validations client enregistrées : {signed}")
