"""Browser: a tester enters results one click (or one key) at a time; progress and the
PV decision update in place, from NO-GO to GO avec réserves to GO."""

from __future__ import annotations

import pytest

from delivery.recette import services
from delivery.recette.models import RunResult
from projects.vocabulary import Stage
from tests.e2e.browser import sign_in
from tests.factories import (
    AnomalyFactory,
    ClientFactory,
    DeliveryFactory,
    PartnerUserFactory,
    PMFactory,
    ProjectFactory,
    RecetteCaseFactory,
    advance_to,
)

# No serialized_rollback: tests/conftest.py reinstalls the data-migration rows after a flush, and
# reloading the serialized copy after another live-server test collides on content types.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(page, live_server, user) -> None:
    sign_in(page.context, live_server, user)


def test_it_updates_progress_and_decision_as_results_are_entered(page, live_server):
    pm = PMFactory()
    partner_user = PartnerUserFactory()
    project = ProjectFactory(pm=pm, partner=partner_user.partner, client=ClientFactory(name="Atelier Lune"))
    delivery = DeliveryFactory(project=project, title="Création du site")
    advance_to(delivery, Stage.PRE_DELIVERY)
    cases = [RecetteCaseFactory(delivery=delivery, reference=f"CR-{i}", title=f"Parcours {i}") for i in range(1, 4)]
    run = services.run_create(delivery=delivery, user=partner_user, kind="internal", environment="recette")

    login(page, live_server, partner_user)
    page.goto(f"{live_server.url}/livraisons/{delivery.pk}/recette/campagnes/{run.pk}/")
    panel = page.locator("#run-panel")
    assert "0 / 3" in panel.locator("[data-testid=executed]").inner_text()
    assert panel.locator("[data-testid=decision]").inner_text().strip() == "NO-GO"

    # Mouse: two cases OK.
    page.get_by_role("group", name="Résultat du cas CR-1").get_by_role("button", name="OK").click()
    page.wait_for_selector("#run-panel [data-testid=executed]:has-text('1 / 3')")
    page.get_by_role("group", name="Résultat du cas CR-2").get_by_role("button", name="OK").click()
    page.wait_for_selector("#run-panel [data-testid=executed]:has-text('2 / 3')")
    assert panel.locator("[data-testid=decision]").inner_text().strip() == "NO-GO"
    assert "66,6" in panel.locator("[data-testid=ok-rate]").inner_text()

    # Keyboard: focus moved to the next case; "O" marks it OK.
    focused_row = page.evaluate("document.activeElement.closest('tr').id")
    assert focused_row == f"result-{cases[2].pk}"
    page.keyboard.press("o")
    page.wait_for_selector("#run-panel [data-testid=executed]:has-text('3 / 3')")
    page.wait_for_selector("#run-panel [data-testid=decision]:has-text('GO')")
    assert panel.locator("[data-testid=decision]").inner_text().strip() == "GO"
    assert page.locator(f"#result-{cases[2].pk} button[value=passed]").get_attribute("aria-pressed") == "true"

    # An open minor anomaly turns GO into GO avec réserves; a KO with a comment turns it to NO-GO.
    AnomalyFactory(delivery=delivery, severity="minor")
    page.reload()
    assert panel.locator("[data-testid=decision]").inner_text().strip() == "GO avec réserves"
    page.fill(f"#comment-{cases[0].pk}", "Erreur au clic sur Envoyer")
    page.get_by_role("group", name="Résultat du cas CR-1").get_by_role("button", name="KO").click()
    page.wait_for_selector("#run-panel [data-testid=decision]:has-text('NO-GO')")
    assert "Taux de cas OK" in panel.inner_text()
    result = RunResult.objects.get(run=run, case=cases[0])
    assert (result.status, result.comment, result.tester_id) == ("failed", "Erreur au clic sur Envoyer", partner_user.pk)
