"""Empty states of the recette tab tell each user what to do next."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects.vocabulary import Stage
from tests.factories import advance_to

pytestmark = pytest.mark.django_db


def test_it_tells_the_partner_who_writes_an_empty_cahier(partner_client, delivery):
    advance_to(delivery, Stage.PRE_DELIVERY)
    html = partner_client.get(reverse("recette:tab", args=[delivery.pk])).content.decode()
    assert f"demandez à {delivery.project.pm.get_full_name()} d'y ajouter les cas de test" in html
    assert "Ajoutez d'abord des cas au cahier de recette." in html


def test_it_offers_the_pm_the_ways_to_fill_an_empty_cahier(pm_client, delivery):
    advance_to(delivery, Stage.PRE_DELIVERY)
    html = pm_client.get(reverse("recette:tab", args=[delivery.pk])).content.decode()
    assert "importez un fichier CSV" in html and "demandez à" not in html
