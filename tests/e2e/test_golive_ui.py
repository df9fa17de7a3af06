"""Browser: the PM starts a canary rollout, the partner confirms 5 %, the PM rolls back with a reason."""

from __future__ import annotations

import pytest

from delivery.golive import services
from delivery.golive.models import Rollout, RolloutStep
from projects.vocabulary import Stage
from tests.e2e.browser import sign_in
from tests.factories import ClientFactory, DeliveryFactory, PartnerUserFactory, PMFactory, ProjectFactory, put_in_stage
from tests.golive.conftest import ensure_email_templates

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(page, live_server, user) -> None:
    sign_in(page.context, live_server, user)


def test_it_runs_a_rollout_from_the_tab(page, live_server):
    ensure_email_templates()
    pm = PMFactory()
    partner_user = PartnerUserFactory()
    project = ProjectFactory(pm=pm, partner=partner_user.partner, client=ClientFactory(), production_url="")
    delivery = put_in_stage(DeliveryFactory(project=project), Stage.GO_LIVE)
    rollout = services.rollout_plan_create(delivery=delivery, user=pm)
    url = f"{live_server.url}/livraisons/{delivery.pk}/mise-en-ligne/"

    login(page, live_server, pm)
    page.goto(url)
    page.get_by_role("button", name="Démarrer à 5 %").click()
    page.wait_for_selector("text=Déploiement démarré.")
    assert "Trafic en cours de réglage" in page.locator("#deploiement").inner_text()

    page.context.clear_cookies()
    login(page, live_server, partner_user)
    page.goto(url)
    page.get_by_role("button", name="Le trafic est réglé à 5 %").click()
    page.wait_for_selector("text=Réglage du trafic confirmé.")
    assert RolloutStep.objects.get(rollout=rollout, position=0).status == RolloutStep.Status.OBSERVING
    assert "encore 47 h" in page.locator("#deploiement").inner_text() or "encore 1 j 23 h" in page.locator("#deploiement").inner_text()

    page.context.clear_cookies()
    login(page, live_server, pm)
    page.goto(url)
    page.locator("summary", has_text="Revenir en arrière").click()
    page.fill("#rollback-reason", "Erreurs de paiement remontées par le support.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Confirmer le retour arrière").click()
    page.wait_for_selector("text=Retour arrière demandé.")
    assert Rollout.objects.get(pk=rollout.pk).status == Rollout.Status.ROLLED_BACK
    assert "Relancer le déploiement" in page.locator("#deploiement").inner_text()
