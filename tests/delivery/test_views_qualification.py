"""The qualification grid keeps the hosting answer already given."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("compatible, label", [(True, "Oui, compatible"), (False, "Non compatible")])
def test_it_shows_the_recorded_hosting_answer_in_the_grid(pm_client, delivery, compatible, label):
    delivery.project.hosting_compatible = compatible
    delivery.project.save()
    html = pm_client.get(reverse("delivery:qualification", args=[delivery.pk])).content.decode()
    assert f'selected>{label}</option>' in html


def test_r3_saving_the_grid_untouched_keeps_hosting_compatible(pm_client, delivery):
    """Seen in the walk-through: the select showed « Non vérifiée » for a compatible host,
    so saving the grid silently erased the answer and blocked qualification again."""
    url = reverse("delivery:qualification", args=[delivery.pk])
    form = pm_client.get(url).context["form"]
    data = {name: form[name].value() for name in ("maintenance_plan", "hosting_provider")}
    data["category"] = 1
    data["hosting_compatible"] = form["hosting_compatible"].field.widget.format_value(form["hosting_compatible"].value())
    assert pm_client.post(url, data).status_code == 302
    delivery.project.refresh_from_db()
    assert delivery.project.hosting_compatible is True

