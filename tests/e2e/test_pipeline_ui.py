"""Browser: ticking in place enables the transition, then the delivery advances."""

from __future__ import annotations

import importlib

import pytest

from checklists.models import DeliveryItem
from delivery.models import Delivery
from projects.vocabulary import Stage
from tests.e2e.browser import sign_in
from tests.factories import ClientFactory, DeliveryFactory, PartnerUserFactory, PMFactory, ProjectFactory, advance_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(page, live_server, user) -> None:
    sign_in(page.context, live_server, user)


@pytest.fixture
def setup():
    # Live-server tests flush the database between tests, dropping the official checklists
    # the data migrations installed: install them again (both functions are idempotent).
    from django.apps import apps

    importlib.import_module("projects.migrations.0002_default_policies_and_modules").install(apps, None)
    importlib.import_module("checklists.migrations.0004_default_checklists").install(apps, None)
    pm = PMFactory(first_name="Claire", last_name="Moreau")
    partner_user = PartnerUserFactory()
    project = ProjectFactory(pm=pm, partner=partner_user.partner, client=ClientFactory(name="Boulangerie Martin"))
    delivery = DeliveryFactory(project=project, title="Création du site")
    return pm, partner_user, delivery


def test_it_enables_the_transition_when_the_pm_ticks_the_last_item(page, live_server, setup):
    pm, _, delivery = setup
    *first, last = DeliveryItem.objects.filter(delivery=delivery, stage=Stage.QUALIFICATION).order_by("position")
    DeliveryItem.objects.filter(pk__in=[i.pk for i in first]).update(done=True)
    login(page, live_server, pm)
    page.goto(f"{live_server.url}/livraisons/{delivery.pk}/")
    button = page.locator('button[data-transition="qualify"]')
    assert button.is_disabled()
    assert page.locator("#blockers").inner_text().count("non coché") == 1

    page.get_by_role("button", name=f"Cocher « {last.label} »").click()
    page.wait_for_selector(f'#item-{last.pk} .tick[aria-pressed="true"]')
    page.wait_for_selector('button[data-transition="qualify"]:not([disabled])')
    assert "Aucun point bloquant" in page.locator("#gate-panel").inner_text()
    assert "3 / 3" in page.locator("#checklist-progress").inner_text()

    page.locator('button[data-transition="qualify"]').click()
    page.wait_for_selector("text=la livraison est maintenant en Cadrage")
    assert Delivery.objects.get(pk=delivery.pk).stage == Stage.CADRAGE
    assert "Checklist — Cadrage" in page.locator("#checklist").inner_text()


def test_it_lets_a_partner_tick_the_last_item_then_the_pm_advances(browser, live_server, setup):
    pm, partner_user, delivery = setup
    advance_to(delivery, Stage.CADRAGE)
    partner_item = DeliveryItem.objects.get(delivery=delivery, stage=Stage.CADRAGE, responsible="partner")
    DeliveryItem.objects.filter(delivery=delivery, stage=Stage.CADRAGE).exclude(pk=partner_item.pk).update(done=True)

    partner_page = browser.new_context().new_page()
    login(partner_page, live_server, partner_user)
    partner_page.goto(live_server.url + "/")
    assert partner_item.label in partner_page.locator("main").inner_text()  # « Mes points à traiter »
    partner_page.goto(f"{live_server.url}/livraisons/{delivery.pk}/")
    partner_page.get_by_role("button", name=f"Cocher « {partner_item.label} »").click()
    partner_page.wait_for_selector(f'#item-{partner_item.pk} .tick[aria-pressed="true"]')

    pm_page = browser.new_context().new_page()
    login(pm_page, live_server, pm)
    pm_page.goto(f"{live_server.url}/livraisons/{delivery.pk}/")
    assert f"Coché par {partner_user.get_full_name()}" in pm_page.locator(f"#item-{partner_item.pk}").inner_text()
    pm_page.locator('button[data-transition="start_production"]').click()
    pm_page.wait_for_selector("text=la livraison est maintenant en Production")
    assert Delivery.objects.get(pk=delivery.pk).stage == Stage.PRODUCTION


def test_it_shows_the_refusal_reason_after_a_refused_click(page, live_server, setup):
    pm, _, delivery = setup
    login(page, live_server, pm)
    page.goto(f"{live_server.url}/livraisons/{delivery.pk}/")
    page.get_by_text("Refuser le projet…").click()
    page.fill("#note-refuse", "Budget hors cible")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Confirmer : refuser le projet").click()
    page.wait_for_selector("text=Projet refusé en qualification.")
    assert Delivery.objects.get(pk=delivery.pk).stage == Stage.REFUSED
