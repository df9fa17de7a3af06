"""`manage.py demo`: every stage populated through the real services, safe to run twice,
and the demo accounts reach their home pages."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from checklists.models import DeliveryItem
from delivery.gates import STAGE_AFTER, blockers_for
from delivery.models import Delivery, HistoryEntry, RuleWaiver
from projects.models import Client, Project, User
from projects.vocabulary import PIPELINE, Stage

pytestmark = pytest.mark.django_db


def test_it_populates_every_stage_and_is_idempotent(client):
    call_command("demo", stdout=StringIO())
    stages = set(Delivery.objects.values_list("stage", flat=True))
    assert set(PIPELINE) | {Stage.REFUSED} <= stages
    blocked = [d for d in Delivery.objects.all() if d.stage in STAGE_AFTER and blockers_for(d, STAGE_AFTER[d.stage])]
    assert len(blocked) >= 3
    r4 = Delivery.objects.get(project__name="Site de l'atelier")
    assert "R4" in {b.code for b in blockers_for(r4, "deliver_to_client")}
    assert Delivery.objects.filter(origin__isnull=False).exists()  # an R7 requalification
    assert DeliveryItem.objects.filter(waived=True).exists() and RuleWaiver.objects.exists()  # R9 on show

    counts = [m.objects.count() for m in (User, Client, Project, Delivery, HistoryEntry)]
    out = StringIO()
    call_command("demo", stdout=out)
    assert "déjà présentes" in out.getvalue()
    assert [m.objects.count() for m in (User, Client, Project, Delivery)] == counts[:4]

    for username, page_marker in (("cdp", "Portefeuille des livraisons"), ("dev", "Mes points à traiter"), ("admin", "Portefeuille")):
        assert client.login(username=username, password="jalon-demo")
        assert page_marker in client.get(reverse("home")).content.decode()
        client.logout()
