"""The « Mise en ligne » tab: who sees and does what, reasons asked, errors in French."""

from __future__ import annotations

import pytest
from django.urls import reverse

from delivery.golive import services
from delivery.golive.models import Rollout, RolloutSettings, RolloutStep
from projects.vocabulary import Stage
from tests.factories import put_in_stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(delivery, email_templates):
    return put_in_stage(delivery, Stage.GO_LIVE)


def test_it_shows_the_tab_to_the_pm_and_the_partner(live, pm_client, client, partner_user, pm):
    services.follow_up_schedule(delivery=live)
    services.rollout_plan_create(delivery=live, user=pm)
    url = reverse("golive:tab", args=[live.pk])
    page = pm_client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Déploiement progressif" in body and "Suivi J+7" in body and "Démarrer à 5 %" in body
    assert "Réglages du déploiement" in body
    client.force_login(partner_user)
    body = client.get(url).content.decode()
    assert "Suivi J+7" in body
    assert "Réglages du déploiement" not in body and "Démarrer" not in body  # PM only; the secret stays hidden


def test_it_answers_404_to_another_partner(live, client, other_partner_user):
    client.force_login(other_partner_user)
    assert client.get(reverse("golive:tab", args=[live.pk])).status_code == 404
    assert client.post(reverse("golive:probe", args=[live.pk])).status_code == 404


def test_it_answers_404_when_a_partner_tries_a_pm_action(live, partner_client, pm):
    services.rollout_plan_create(delivery=live, user=pm)
    url = reverse("golive:rollout_action", args=[live.pk, "demarrer"])
    assert partner_client.post(url).status_code == 404
    assert Rollout.objects.get().status == Rollout.Status.PLANNED


def test_it_refuses_a_rollback_without_reason_with_a_french_message(live, pm_client, pm, django_capture_on_commit_callbacks):
    rollout = services.rollout_plan_create(delivery=live, user=pm)
    with django_capture_on_commit_callbacks(execute=True):
        pm_client.post(reverse("golive:rollout_action", args=[live.pk, "demarrer"]))
    response = pm_client.post(reverse("golive:rollout_action", args=[live.pk, "retour-arriere"]), {"reason": ""}, follow=True)
    assert "Indiquez le motif du retour arrière" in response.content.decode()
    rollout.refresh_from_db()
    assert rollout.status == Rollout.Status.RUNNING


def test_it_lets_the_partner_confirm_the_traffic_share(live, pm, partner_client):
    rollout = services.rollout_plan_create(delivery=live, user=pm)
    services.rollout_start(rollout_id=rollout.pk, user=pm)
    page = partner_client.get(reverse("golive:tab", args=[live.pk])).content.decode()
    assert "Le trafic est réglé à 5 %" in page
    response = partner_client.post(reverse("golive:rollout_action", args=[live.pk, "confirmer"]))
    assert response.status_code == 302
    assert RolloutStep.objects.get(rollout=rollout, position=0).status == RolloutStep.Status.OBSERVING


def test_it_keeps_the_settings_typed_when_invalid(live, pm_client):
    response = pm_client.post(reverse("golive:settings", args=[live.pk]), {
        "backend": "webhook", "webhook_url": "", "metrics_url": "https://metrics.example/x", "max_error_rate": "2",
    })
    assert response.status_code == 400
    body = response.content.decode()
    assert "Le mode webhook demande l&#x27;URL du webhook." in body or "Le mode webhook demande l'URL du webhook." in body
    assert "https://metrics.example/x" in body
    assert not RolloutSettings.objects.filter(backend="webhook").exists()


def test_it_saves_the_settings(live, pm_client):
    response = pm_client.post(reverse("golive:settings", args=[live.pk]), {
        "backend": "webhook", "webhook_url": "https://ops.example/traffic", "metrics_url": "", "max_error_rate": "1.5",
        "auto_advance": "on",
    })
    assert response.status_code == 302
    options = RolloutSettings.objects.get(project=live.project)
    assert options.backend == "webhook" and options.auto_advance and len(options.webhook_secret) == 64


def test_it_reports_a_missing_production_url_instead_of_failing(live, pm_client):
    live.project.production_url = ""
    live.project.save(update_fields=["production_url"])
    response = pm_client.post(reverse("golive:probe", args=[live.pk]), follow=True)
    assert "Renseignez d&#x27;abord l&#x27;URL de production" in response.content.decode()


def test_it_renders_the_tab_in_a_bounded_number_of_queries(live, pm_client, pm, django_assert_max_num_queries):
    services.follow_up_schedule(delivery=live)
    rollout = services.rollout_plan_create(delivery=live, user=pm)
    services.rollout_start(rollout_id=rollout.pk, user=pm)
    with django_assert_max_num_queries(25):
        assert pm_client.get(reverse("golive:tab", args=[live.pk])).status_code == 200
