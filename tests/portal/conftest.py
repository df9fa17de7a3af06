from __future__ import annotations

import pytest

from projects.vocabulary import Stage
from tests.factories import ClientContactFactory, advance_to, recette_run_all_passed


@pytest.fixture
def contact(delivery):
    return ClientContactFactory(client=delivery.project.client, name="Camille Dupont", email="camille@client.example")


@pytest.fixture
def delivery_with_pv(delivery, contact):
    """A delivery at "Livraison client" with a passing client run and a GO PV v1."""
    from delivery.recette.services import pv_generate

    advance_to(delivery, Stage.DELIVERY)
    recette_run_all_passed(delivery, "client")
    pv_generate(delivery=delivery, user=delivery.project.pm)
    delivery.refresh_from_db()
    return delivery


@pytest.fixture
def live_link(delivery_with_pv, contact):
    from tests.factories import portal_link_for

    return portal_link_for(delivery_with_pv, contact)


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """Bad-token counts live in the cache; each test starts from none (local memory only)."""
    from django.core.cache import cache
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(cache, LocMemCache):
        cache.clear()
    yield
