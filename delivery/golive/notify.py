"""Emails of the go-live features, through the outbox (rendered from EmailTemplate rows)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from communications.models import EmailTemplate
from communications.services import message_queue, template_render
from projects.models import User

# Used only when an admin deleted a template: a reminder must still go out.
FALLBACK: dict[str, tuple[str, str]] = {
    "follow_up_reminder": (
        "J+7 à faire : {{ project.name }}",
        "Le suivi J+7 de « {{ delivery.title }} » ({{ project.name }}) est dû depuis le {{ due_at|date:'d/m/Y H:i' }}.\n"
        "Vérifiez la stabilité, corrigez les anomalies mineures et validez techniquement : {{ delivery_url }}",
    ),
    "follow_up_escalation": (
        "J+7 en retard : {{ project.name }}",
        "Le suivi J+7 de « {{ delivery.title }} » ({{ project.name }}), dû le {{ due_at|date:'d/m/Y H:i' }}, "
        "n'est toujours pas clos.\n{{ delivery_url }}",
    ),
    "rollout_step_manual": (
        "Déploiement progressif : régler le trafic à {{ percent }} % ({{ project.name }})",
        "Réglez la part du trafic de {{ project.name }} à {{ percent }} %{% if reason %} ({{ reason }}){% endif %}, "
        "puis confirmez-le dans Jalon : {{ confirm_url }}",
    ),
    "rollout_halted": (
        "Déploiement progressif suspendu : {{ project.name }}",
        "Le déploiement de « {{ delivery.title }} » est suspendu à {{ percent }} % : {{ reason }}\n{{ delivery_url }}",
    ),
    "rollout_completed": (
        "Déploiement progressif terminé : {{ project.name }}",
        "« {{ delivery.title }} » reçoit 100 % du trafic. Le suivi J+7 peut démarrer : {{ delivery_url }}",
    ),
}


def tab_url(delivery) -> str:
    return settings.SITE_URL + reverse("golive:tab", args=[delivery.pk])


def partner_emails(project) -> list[str]:
    if project.partner_id is None:
        return []
    emails = list(
        User.objects.filter(partner_id=project.partner_id, role=User.Role.PARTNER, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )
    if not emails and project.partner.email:
        emails = [project.partner.email]
    return emails


def pm_emails(project) -> list[str]:
    return [project.pm.email] if project.pm.email else []


def notify(*, delivery, key: str, to: list[str], **context: Any):
    """Render template `key` and queue it (after commit) to `to`; None when nobody to tell."""
    to = list(dict.fromkeys(addr for addr in to if addr))
    if not to:
        return None
    full = {
        "project": delivery.project,
        "delivery": delivery,
        "delivery_url": tab_url(delivery),
        "confirm_url": tab_url(delivery) + "#deploiement",
        **context,
    }
    try:
        subject, text, html = template_render(key=key, context=full)
    except EmailTemplate.DoesNotExist:
        from django.template import Context, Template

        subject_src, body_src = FALLBACK[key]
        ctx = Context(full, autoescape=False)
        subject, text, html = Template(subject_src).render(ctx).strip(), Template(body_src).render(ctx) + "\n", ""
    return message_queue(
        to=to, subject=subject, body_text=text, body_html=html, delivery=delivery, template_key=key, client_facing=False
    )
