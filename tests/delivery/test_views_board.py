"""The home page: the PM's portfolio board and the partner's « Mes points à traiter »."""

from __future__ import annotations

import pytest
from django.urls import reverse

from checklists.models import DeliveryItem
from delivery.services import delivery_transition, item_set_done
from projects.vocabulary import Stage
from tests.factories import ClientFactory, DeliveryFactory, PartnerFactory, PMFactory, ProjectFactory, advance_to

pytestmark = pytest.mark.django_db

HOME = "/"


def cards_in(response, stage: str) -> list:
    return next(c["cards"] for c in response.context["columns"] if c["stage"] == stage)


def test_it_redirects_anonymous_to_login(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_shows_one_column_per_stage_with_card_details(pm_client, delivery):
    response = pm_client.get(HOME)
    assert response.status_code == 200
    assert [c["stage"] for c in response.context["columns"]] == [
        "qualification", "cadrage", "production", "pre_delivery", "delivery", "go_live", "follow_up", "maintenance",
    ]
    [card] = cards_in(response, Stage.QUALIFICATION)
    assert card.delivery == delivery
    assert card.blockers == 3  # the three unticked qualification items
    assert card.days_in_stage == 0
    html = response.content.decode()
    assert delivery.project.name in html and delivery.project.client.name in html
    assert "3 bloquants" in html
    assert "Aucune livraison dans cette étape" in html


def test_it_counts_days_in_stage(pm_client, delivery):
    from datetime import timedelta

    from django.utils import timezone

    from delivery.models import Delivery

    Delivery.objects.filter(pk=delivery.pk).update(stage_entered_at=timezone.now() - timedelta(days=12, hours=2))
    response = pm_client.get(HOME)
    [card] = cards_in(response, Stage.QUALIFICATION)
    assert card.days_in_stage == 12
    assert "depuis 12 j" in response.content.decode()


def test_it_counts_blockers_of_the_forward_gate(pm_client, delivery, pm):
    for item in DeliveryItem.objects.filter(delivery=delivery):
        item_set_done(item_id=item.pk, user=pm, done=True)
    response = pm_client.get(HOME)
    [card] = cards_in(response, Stage.QUALIFICATION)
    assert card.blockers == 0
    assert "Prêt à avancer" in response.content.decode()


def test_it_hides_refused_deliveries_unless_asked(pm_client, delivery, pm):
    DeliveryItem.objects.filter(delivery=delivery).update(done=True)
    assert delivery_transition(delivery_id=delivery.pk, name="refuse", user=pm, note="Hors cible").ok
    response = pm_client.get(HOME)
    assert response.context["total"] == 0
    assert "refused" not in [c["stage"] for c in response.context["columns"]]
    response = pm_client.get(HOME, {"refused": "1"})
    assert [card.delivery for card in cards_in(response, Stage.REFUSED)] == [delivery]


def test_it_filters_by_pm_partner_category_and_search(pm_client, delivery):
    other = DeliveryFactory(
        project=ProjectFactory(name="Boutique Zeta", client=ClientFactory(name="Zeta SARL"), pm=PMFactory(), partner=PartnerFactory()),
        category=3,
    )
    both = {delivery, other}

    def shown(**params):
        response = pm_client.get(HOME, params)
        return {card.delivery for col in response.context["columns"] for card in col["cards"]}

    assert shown() == both
    assert shown(pm=other.project.pm_id) == {other}
    assert shown(partner=delivery.project.partner_id) == {delivery}
    assert shown(category=3) == {other}
    assert shown(q="zeta") == {other}  # client name
    assert shown(q="boutique") == {other}  # project name
    assert shown(q="inconnu") == set()
    assert shown(pm="abc") == both  # garbage filter values are ignored, not a 500


def test_it_caps_long_columns_and_shows_one_stage_in_full(pm_client, monkeypatch):
    from delivery import selectors

    monkeypatch.setattr(selectors, "COLUMN_LIMIT", 2)
    pm = PMFactory()
    for _ in range(3):
        DeliveryFactory(project=ProjectFactory(pm=pm))
    response = pm_client.get(HOME)
    column = response.context["columns"][0]
    assert (column["count"], len(column["cards"]), column["hidden"]) == (3, 2, 1)
    assert "+ 1 autre — tout afficher" in response.content.decode()
    response = pm_client.get(HOME, {"stage": "qualification"})
    assert [c["stage"] for c in response.context["columns"]] == ["qualification"]
    assert len(response.context["columns"][0]["cards"]) == 3
    assert pm_client.get(HOME, {"stage": "nimporte"}).status_code == 200  # unknown stage: ignored


def test_it_returns_only_the_board_to_htmx(pm_client, delivery):
    response = pm_client.get(HOME, {"q": delivery.project.name}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="board")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="board"')
    assert "<html" not in html


def _make_deliveries(n: int, stages) -> None:
    from tests.factories import put_in_stage

    pm, partner = PMFactory(), PartnerFactory()
    for i in range(n):
        delivery = DeliveryFactory(project=ProjectFactory(pm=pm, partner=partner))
        stage = stages[i % len(stages)]
        if stage == Stage.PRODUCTION:
            advance_to(delivery, stage)  # walked: a frozen scope, so R5 reads the modules
        elif stage != Stage.QUALIFICATION:
            put_in_stage(delivery, stage)


@pytest.mark.parametrize("n", [3, 30])
def test_it_renders_the_board_in_constant_queries(pm_client, n, django_assert_max_num_queries):
    _make_deliveries(n, [Stage.QUALIFICATION, Stage.CADRAGE, Stage.PRODUCTION])
    # session, user, ids per stage, cards, 4 core prefetches (items, waivers, modules, stage
    # dates), 2 filter lists = 10; plus what features' gates read (BOARD_PREFETCH): recette
    # runs, anomalies, PV versions, client validations = 14. Go-live badges add none here.
    with django_assert_max_num_queries(14):
        response = pm_client.get(HOME)
    assert response.context["total"] == n


def test_it_renders_the_board_in_constant_queries_over_every_stage(pm_client, django_assert_num_queries):
    from projects.vocabulary import PIPELINE

    _make_deliveries(len(PIPELINE), list(PIPELINE))
    pm_client.get(HOME)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        pm_client.get(HOME)
    _make_deliveries(3 * len(PIPELINE), list(PIPELINE))
    with django_assert_num_queries(len(few.captured_queries)):
        response = pm_client.get(HOME)
    assert response.context["total"] == 4 * len(PIPELINE)


def test_it_shows_partner_home_with_only_its_items(partner_client, partner_user, delivery, other_partner_user):
    foreign = DeliveryFactory(project=ProjectFactory(partner=other_partner_user.partner))
    advance_to(delivery, Stage.PRODUCTION)
    advance_to(foreign, Stage.PRODUCTION)
    response = partner_client.get(HOME)
    assert response.status_code == 200
    groups = response.context["groups"]
    assert [g["delivery"] for g in groups] == [delivery]
    labels = [item.label for item in groups[0]["items"]]
    assert "SEO technique paramétré" in labels
    assert all(item.stage == Stage.PRODUCTION and not item.done for item in groups[0]["items"])
    assert "Mes points à traiter" in response.content.decode()
    assert foreign.project.name not in response.content.decode()


def test_it_leaves_agency_items_out_of_partner_home(partner_client, delivery):
    # qualification items are the agency's
    response = partner_client.get(HOME)
    assert response.context["groups"] == []
    assert "Rien à traiter" in response.content.decode()


def test_it_ticks_from_partner_home_in_place(partner_client, partner_user, delivery):
    advance_to(delivery, Stage.PRODUCTION)
    item = DeliveryItem.objects.filter(delivery=delivery, stage=Stage.PRODUCTION).first()
    response = partner_client.post(
        reverse("delivery:item_tick", args=[item.pk]), {"done": "1", "from": "todo"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="todo-item-{item.pk}"')
    assert 'aria-pressed="true"' in html
    item.refresh_from_db()
    assert item.done and item.done_by == partner_user


@pytest.mark.parametrize("n", [2, 12])
def test_it_renders_partner_home_in_constant_queries(partner_client, partner, n, django_assert_max_num_queries):
    for i in range(n):
        delivery = DeliveryFactory(project=ProjectFactory(partner=partner))
        advance_to(delivery, Stage.PRODUCTION if i % 2 else Stage.CADRAGE)
    with django_assert_max_num_queries(5):
        response = partner_client.get(HOME)
    assert len(response.context["groups"]) == n
