"""Browser at phone width: pages a partner uses stay readable."""

from __future__ import annotations

import pytest

from projects.vocabulary import Stage
from tests.e2e.browser import sign_in
from tests.factories import (
    ClientFactory,
    DeliveryFactory,
    PartnerUserFactory,
    ProjectFactory,
    advance_to,
    recette_run_all_passed,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _phone_session(browser, live_server, user):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    sign_in(context, live_server, user)
    return context, context.new_page()


def test_it_gives_a_long_card_title_the_full_width_on_a_phone(browser, live_server):
    """Seen in the walk-through: on « Mes points à traiter » at 390 px the stage badge sat
    beside the title and squeezed the client's name to one word per line."""
    partner_user = PartnerUserFactory()
    project = ProjectFactory(partner=partner_user.partner, client=ClientFactory(name="Cabinet Durand Avocats"), name="Site du cabinet")
    delivery = DeliveryFactory(project=project, title="Refonte du site")
    advance_to(delivery, Stage.CADRAGE)
    context, page = _phone_session(browser, live_server, partner_user)
    page.goto(f"{live_server.url}/")
    card = page.locator(f"section[aria-labelledby='todo-{delivery.pk}']")
    title_width = card.locator(".card-head > div").first.bounding_box()["width"]
    card_width = card.bounding_box()["width"]
    assert title_width > 0.8 * (card_width - 48)
    context.close()


def test_it_keeps_the_recette_pages_within_a_phone_screen(browser, live_server):
    """Seen in the walk-through: the recette tab (hidden « de la campagne n » labels) and the
    PV preview (its table widening the grid column) scrolled sideways at 390 px."""
    partner_user = PartnerUserFactory()
    project = ProjectFactory(partner=partner_user.partner)
    delivery = DeliveryFactory(project=project)
    advance_to(delivery, Stage.PRE_DELIVERY)
    recette_run_all_passed(delivery, "internal", n_cases=6)
    recette_run_all_passed(delivery, "internal")
    context, page = _phone_session(browser, live_server, partner_user)
    for path in ("recette/", "recette/pv/"):
        page.goto(f"{live_server.url}/livraisons/{delivery.pk}/{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    context.close()
