"""Error answers people can read."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_explains_a_get_on_an_action_url_in_french(pm_client, delivery):
    response = pm_client.get(reverse("delivery:transition", args=[delivery.pk, "qualify"]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    html = response.content.decode()
    assert "Cette adresse est celle d'une action" in html
    assert 'href="/"' in html


def test_it_keeps_405_bodies_empty_for_other_methods(pm_client, delivery):
    response = pm_client.put(reverse("delivery:transition", args=[delivery.pk, "qualify"]))
    assert response.status_code == 405
    assert response.content == b""
