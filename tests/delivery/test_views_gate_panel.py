"""What the blockers panel shows: rule names users know, never internal codes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects.vocabulary import Stage
from tests.factories import advance_to

pytestmark = pytest.mark.django_db


def test_it_labels_rule_blockers_but_not_internal_codes(pm_client, delivery):
    advance_to(delivery, Stage.PRE_DELIVERY)
    html = pm_client.get(reverse("delivery:detail", args=[delivery.pk])).content.decode()
    assert "Recette interne : aucune campagne exécutée" in html
    assert "recette_interne" not in html


def test_it_keeps_the_rule_badge_on_rule_blockers(pm_client, delivery):
    delivery.project.maintenance_plan = ""
    delivery.project.save()
    html = pm_client.get(reverse("delivery:detail", args=[delivery.pk])).content.decode()
    assert '<span class="badge">R2</span>' in html


def test_r6_a_refused_feedback_cycle_keeps_the_forward_blockers_apart(pm_client, delivery, pm):
    """Seen in the walk-through: after a refused « Ouvrir un cycle de retours client », the
    panel claimed the R6 cap was the only thing blocking « Mettre en production »."""
    from delivery.services import delivery_transition

    advance_to(delivery, Stage.DELIVERY)
    assert delivery_transition(delivery_id=delivery.pk, name="open_feedback_cycle", user=pm, note="Retours").ok
    advance_to(delivery, Stage.DELIVERY)
    url = reverse("delivery:transition", args=[delivery.pk, "open_feedback_cycle"])
    response = pm_client.post(url, {"note": "Encore des retours"})
    html = response.content.decode()
    panel = response.context["panel"]
    assert "R6" not in [b.code for b in panel["blockers"]]
    assert "PV de recette" in " ".join(b.message for b in panel["blockers"])
    assert [b.code for b in response.context["transition_blockers"]] == ["R6"]
    assert 'id="transition-blockers"' in html and "Documenter une exception à R6" in html
    assert "Encore des retours" in html  # the note typed is given back
