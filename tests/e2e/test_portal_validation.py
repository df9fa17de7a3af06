"""Browser: the client opens the emailed link on a phone, validates, and the PM then
sees go-live unblocked."""

from __future__ import annotations

import re

import pytest

from checklists.models import DeliveryItem
from delivery.portal import services
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

# No serialized_rollback: tests/conftest.py reinstalls the data-migration rows after a flush, and
# reloading the serialized copy after another live-server test collides on content types.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_it_lets_the_client_validate_and_unblocks_go_live(browser, live_server, settings, mailoutbox):
    from delivery.recette.services import pv_generate

    settings.SITE_URL = live_server.url
    pm = PMFactory(first_name="Claire", last_name="Moreau")
    project = ProjectFactory(pm=pm, client=ClientFactory(name="Boulangerie Martin"), name="Site vitrine")
    contact = ClientContactFactory(client=project.client, name="Camille Dupont", email="camille@boulangerie.example")
    delivery = DeliveryFactory(project=project, title="Création du site")
    advance_to(delivery, Stage.DELIVERY)
    recette_run_all_passed(delivery, "client")
    pv_generate(delivery=delivery, user=pm)
    DeliveryItem.objects.filter(delivery=delivery, stage=Stage.DELIVERY).update(done=True)
    subject, body = services.email_draft(delivery=delivery, key=services.VALIDATION_REQUEST_KEY, contact=contact)
    services.validation_request_send(delivery_id=delivery.pk, contact_id=contact.pk, user=pm, subject=subject, body_text=body)
    assert len(mailoutbox) == 1
    url = re.search(r"https?://\S+/portail/[A-Za-z0-9_\-]+/", mailoutbox[0].body).group(0)

    # The client, on a phone.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    page.goto(url)
    assert "Site vitrine" in page.locator("h1").inner_text()
    assert f"(ici : {project.preprod_url})" in page.locator("#statement").inner_text()
    page.get_by_label("Votre nom complet").fill("Camille Dupont")
    page.get_by_label("Je certifie la déclaration ci-dessus et donne ma validation.").check()
    page.get_by_role("button", name="Je valide").click()
    page.wait_for_selector("text=Merci, votre validation est enregistrée")
    assert page.get_by_role("link", name="Télécharger le certificat de validation").is_visible()
    assert ClientValidation.objects.filter(delivery=delivery, signer_name="Camille Dupont").count() == 1
    phone.close()

    # The PM, on the delivery page.
    context = browser.new_context()
    sign_in(context, live_server, pm)
    pm_page = context.new_page()
    pm_page.goto(f"{live_server.url}/livraisons/{delivery.pk}/")
    panel = pm_page.locator("#gate-panel").inner_text()
    assert "Validation écrite du client" not in panel
    assert pm_page.locator('button[data-transition="go_live"]').is_enabled()
    pm_page.goto(f"{live_server.url}/livraisons/{delivery.pk}/validation-client/")
    assert "ne bloque plus la mise en production" in pm_page.locator("main").inner_text()
    context.close()
