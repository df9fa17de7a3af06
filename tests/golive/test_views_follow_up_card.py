"""The J+7 card of the Mise en ligne tab once the follow-up is over."""

from __future__ import annotations

import pytest
from django.urls import reverse

from delivery.golive import services
from projects.vocabulary import Stage
from tests.factories import put_in_stage

pytestmark = pytest.mark.django_db


def test_r12_a_closed_follow_up_announces_no_future_reminder(delivery, pm_client, email_templates):
    """Seen in the walk-through: after closing J+7 early (R12 exception) the card said
    « Clos » and still promised a reminder and an escalation « si le suivi n'est pas clos »."""
    live = put_in_stage(delivery, Stage.GO_LIVE)
    services.follow_up_schedule(delivery=live)
    url = reverse("golive:tab", args=[live.pk])
    assert "si le suivi n'est pas clos" in pm_client.get(url).content.decode()
    put_in_stage(live, Stage.MAINTENANCE)
    body = pm_client.get(url).content.decode()
    assert "Clos" in body
    assert "si le suivi n'est pas clos" not in body
    assert body.count("sans objet : suivi clos") == 2
