"""The default email templates: every key exists, R21 content, variables the other
features use render."""

from __future__ import annotations

import pytest
from types import SimpleNamespace

from communications import tone
from communications.models import EmailTemplate
from communications.services import template_render
from delivery.portal import services as portal
from tests.factories import ClientContactFactory

pytestmark = pytest.mark.django_db

KEYS = {
    "validation_request", "validation_received_client", "validation_received_pm", "go_live_announcement",
    "follow_up_reminder", "follow_up_escalation", "rollout_step_manual", "rollout_halted", "rollout_completed",
}


def test_it_installs_every_template():
    assert set(EmailTemplate.objects.values_list("key", flat=True)) >= KEYS


def test_r21_the_validation_request_carries_the_statement_and_the_preprod_url(delivery):
    contact = ClientContactFactory(client=delivery.project.client)
    subject, text = portal.email_draft(delivery=delivery, key="validation_request", contact=contact)
    url = delivery.project.preprod_url
    assert f"« Je certifie que l’ensemble du site en préproduction (ici : {url}) est conforme à mes attentes. " in text
    assert "Je donne ainsi ma validation pour la mise en production à la date la plus proche et la plus adéquate" in text
    assert portal.PORTAL_URL_PLACEHOLDER in text and contact.name in text
    assert tone.check_email(subject=subject, body=text) == []


@pytest.mark.parametrize(("plan", "has_line"), [("essential", True), ("none", False)])
def test_r21_the_go_live_announcement_has_the_maintenance_line_only_with_a_contract(delivery, plan, has_line):
    delivery.project.maintenance_plan = plan
    delivery.project.save()
    subject, text = portal.email_draft(delivery=delivery, key="go_live_announcement", contact=None)
    _s, _t, html = template_render(
        key="go_live_announcement", context=portal.email_context(delivery=delivery, key="go_live_announcement", contact=None)
    )
    assert delivery.project.production_url in text and delivery.project.backoffice_url in text
    assert ("La maintenance technique s'active" in text) is has_line
    assert ("La maintenance technique s" in html) is has_line
    assert "Félicitations" in text


def test_it_renders_the_scheduling_templates(delivery):
    ctx = {
        "project": delivery.project, "delivery": delivery, "due_at": delivery.created_at, "percent": 20,
        "reason": "taux d'erreur 7 %", "confirm_url": "https://jalon.example/c", "delivery_url": "https://jalon.example/d",
    }
    for key in ("follow_up_reminder", "follow_up_escalation", "rollout_step_manual", "rollout_halted", "rollout_completed"):
        subject, text, _html = template_render(key=key, context=ctx)
        assert delivery.project.name in subject, key
        assert delivery.title in text, key
    assert "20 %" in template_render(key="rollout_step_manual", context=ctx)[0]
    assert "taux d'erreur 7 %" in template_render(key="rollout_halted", context=ctx)[1]


def test_it_renders_the_received_templates(delivery):
    validation = SimpleNamespace(signer_name="Camille", is_validated=True, decision_label="Validation", comment="", signed_at=delivery.created_at, pv_number=2)
    ctx = {**portal.email_context(delivery=delivery, key="", contact=None), "validation": validation, "delivery_url": "https://x/"}
    subject, text, _ = template_render(key="validation_received_client", context=ctx)
    assert "validation est bien reçue" in subject and "PV de recette v2" in text
    subject, text, _ = template_render(key="validation_received_pm", context={**ctx, "cap_reached": True, "blockers": ["Plafond"]})
    assert "Validation client reçue" in subject and "plafond" in text and "- Plafond" in text
