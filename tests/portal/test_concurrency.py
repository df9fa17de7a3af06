"""Double submit on the real PostgreSQL: two requests at the same instant on one link
make exactly one evidence record (the link row lock, then the one-to-one constraint)."""

from __future__ import annotations

import pytest
from django.db import connection

from delivery.portal import services
from delivery.portal.models import ClientValidation
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite has no row locks")


def test_it_records_one_validation_when_two_submits_race(live_link):
    link, _token = live_link

    def submit(name):
        return lambda: services.validation_submit(
            link_id=link.pk, decision="validated", signer_name=name, consent=True, ip="198.51.100.1", user_agent="t"
        )

    results = run_together(submit("Camille Dupont"), submit("Camille Dupont"), submit("Camille D."))
    assert all(not isinstance(r, Exception) for r in results), results
    assert all(r.ok for r in results)
    assert sum(r.created for r in results) == 1
    assert ClientValidation.objects.filter(link=link).count() == 1
    assert services.recompute_chain(link.delivery).ok
