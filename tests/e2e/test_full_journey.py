"""Browser, the happy path across the features: from pré-livraison with a GO PV, the PM
asks for the client's validation, the client signs on the portal, the PM goes live and
the Mise en ligne tab shows the J+7 follow-up."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from checklists.models import DeliveryItem
from delivery.golive.models import FollowUp
from delivery.portal.models import ClientValidation
from projects.vocabulary import Stage
from tests.e2e.browser import sign_in
from tests.factories import (
    ClientContactFactory,
    ClientFactory,
    DeliveryFactory,
    PMFactory,
    ProjectFactory,
    advance_to,
    recette_run_all_passed,
)
from tests.golive.conftest import ensure_email_templates

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _session_for(browser, live_server, user):
    context = browser.new_context()
    sign_in(context, live_server, user)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def test_it_takes_a_delivery_from_a_go_pv_to_the_j7_follow_up(browser, live_server, settings, mailoutbox):
    from delivery.recette.services import pv_generate

    ensure_email_templates()
    settings.SITE_URL = live_server.url
    pm = PMFactory(first_name="Claire", last_name="Moreau")
    # No production URL: the go-live probe must not reach out to the Internet from a test.
    project = ProjectFactory(pm=pm, client=ClientFactory(name="Fromagerie"), name="Boutique fromages", production_url="")
    contact = ClientContactFactory(client=project.client, name="Alice Martin", email="alice@fromagerie.example")
    delivery = DeliveryFactory(project=project, title="Création de la boutique")
    advance_to(delivery, Stage.PRE_DELIVERY)
    recette_run_all_passed(delivery, "internal")
    advance_to(delivery, Stage.DELIVERY)
    recette_run_all_passed(delivery, "client")
    assert pv_generate(delivery=delivery, user=pm).is_go
    DeliveryItem.objects.filter(delivery=delivery, stage=Stage.DELIVERY).update(done=True)
    base = f"{live_server.url}/livraisons/{delivery.pk}"

    # The PM prepares, checks and sends the validation request.
    pm_page = _session_for(browser, live_server, pm)
    pm_page.goto(f"{base}/validation-client/")
    pm_page.get_by_role("link", name="Préparer la demande").first.click()
    pm_page.get_by_role("button", name="Vérifier avant envoi").click()
    pm_page.get_by_role("button", name="Envoyer", exact=True).click()
    pm_page.wait_for_selector(f"text=Demande de validation envoyée à {contact.name}")
    [email] = [m for m in mailoutbox if contact.email in m.to]
    portal_url = re.search(r"https?://\S+/portail/[A-Za-z0-9_\-]+/", email.body).group(0)

    # The client, with no account, on a phone.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    client_page = phone.new_page()
    client_page.goto(portal_url)
    client_page.get_by_label("Votre nom complet").fill("Alice Martin")
    client_page.get_by_label("Je certifie la déclaration ci-dessus et donne ma validation.").check()
    client_page.get_by_role("button", name="Je valide").click()
    client_page.wait_for_selector("text=Merci, votre validation est enregistrée")
    assert ClientValidation.objects.filter(delivery=delivery, signer_name="Alice Martin").count() == 1
    phone.close()

    # Back to the PM: go-live is unblocked, then the J+7 follow-up is scheduled.
    pm_page.goto(f"{base}/")
    assert "Validation écrite du client" not in pm_page.locator("#gate-panel").inner_text()
    pm_page.locator('button[data-transition="go_live"]').click()
    pm_page.wait_for_selector("text=la livraison est maintenant en Mise en production")
    pm_page.get_by_role("link", name="Mise en ligne").click()
    card = pm_page.locator("#j7").inner_text()
    due = FollowUp.objects.get(delivery=delivery).due_at.astimezone(ZoneInfo("Europe/Paris"))
    assert due.strftime("%d/%m/%Y à 09:00") in card
    assert "À venir" in card
    pm_page.context.close()
