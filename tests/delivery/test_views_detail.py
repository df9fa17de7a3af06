"""The delivery page (tab « Pilotage »): checklist ticking, blockers, transitions, waivers,
planning, change requests, requalification, history."""

from __future__ import annotations

import pytest
from django.urls import reverse

from checklists.models import DeliveryItem
from delivery.models import ChangeRequest, Delivery, HistoryEntry, HistoryKind, RuleWaiver, StageDate
from delivery.services import item_set_done
from projects.models import Project
from projects.vocabulary import Stage
from tests.factories import ProjectFactory, advance_to

pytestmark = pytest.mark.django_db


def detail_url(delivery) -> str:
    return reverse("delivery:detail", args=[delivery.pk])


def tick_url(item) -> str:
    return reverse("delivery:item_tick", args=[item.pk])


def transition_url(delivery, name: str) -> str:
    return reverse("delivery:transition", args=[delivery.pk, name])


def items(delivery, stage=None):
    return DeliveryItem.objects.filter(delivery=delivery, stage=stage or Delivery.objects.get(pk=delivery.pk).stage)


# --- access ---------------------------------------------------------------------------

def test_it_redirects_anonymous_to_login(client, delivery):
    response = client.get(detail_url(delivery))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_it_shows_the_page_to_the_pm_and_the_project_partner(pm_client, delivery, client, partner_user):
    response = pm_client.get(detail_url(delivery))
    assert response.status_code == 200
    client.force_login(partner_user)
    assert client.get(detail_url(delivery)).status_code == 200


def test_it_hides_the_delivery_from_another_partner(client, delivery, other_partner_user):
    client.force_login(other_partner_user)
    response = client.get(detail_url(delivery))
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_it_answers_404_for_an_unknown_delivery(pm_client):
    assert pm_client.get(reverse("delivery:detail", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    "url_name",
    ["delivery:qualification", "delivery:requalify"],
)
def test_it_keeps_agency_forms_from_partners(client, delivery, partner_user, url_name):
    client.force_login(partner_user)
    assert client.get(reverse(url_name, args=[delivery.pk])).status_code == 404


@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        ("delivery:rule_waive", {"code": "R4", "justification": "Une raison assez longue"}),
        ("delivery:planned_dates", {"planned_cadrage": "2030-01-01"}),
        ("delivery:change_request_create", {"title": "Avenant", "kind": "avenant"}),
        ("delivery:requalify", {"title": "Nouvelle demande"}),
        ("delivery:qualification", {"category": "2"}),
    ],
)
def test_it_refuses_agency_actions_to_partners_with_404(client, delivery, partner_user, url_name, data):
    client.force_login(partner_user)
    assert client.post(reverse(url_name, args=[delivery.pk]), data).status_code == 404
    assert not RuleWaiver.objects.exists() and not ChangeRequest.objects.exists()
    assert Delivery.objects.count() == 1


# --- page content ------------------------------------------------------------------------

def test_it_shows_checklist_blockers_and_disabled_forward_button(pm_client, delivery):
    html = pm_client.get(detail_url(delivery)).content.decode()
    assert "Checklist — Qualification" in html
    assert "3 points bloquent" in html
    assert "Checklist : « Accord de principe du client » non coché" in html
    assert 'data-transition="qualify" disabled' in html
    assert "3 points bloquants à lever." in html


def test_it_shows_the_r8_reason_to_a_partner(client, delivery, partner_user):
    client.force_login(partner_user)
    response = client.get(detail_url(delivery))
    html = response.content.decode()
    assert "Cette étape relève de : agence (R8)." in html
    # qualification items are the agency's: read-only for the partner, with the responsible party
    assert tick_url(items(delivery).first()) not in html
    assert "Relève de : Agence" in html


def test_it_renders_the_delivery_page_in_constant_queries(pm_client, delivery, pm, django_assert_max_num_queries):
    advance_to(delivery, Stage.PRODUCTION)
    for item in items(delivery)[:3]:
        item_set_done(item_id=item.pk, user=pm, done=True, comment="ok")
    with django_assert_max_num_queries(25) as captured:
        pm_client.get(detail_url(delivery))
    first = len(captured.captured_queries)
    # more ticks, more history rows: the same number of queries
    for item in items(delivery)[3:]:
        item_set_done(item_id=item.pk, user=pm, done=True)
    with django_assert_max_num_queries(first):
        pm_client.get(detail_url(delivery))


# --- ticking ------------------------------------------------------------------------------

def test_it_ticks_in_place_with_htmx_and_updates_the_gate_panel(pm_client, delivery, pm):
    first, *rest = items(delivery)
    for item in rest:
        item_set_done(item_id=item.pk, user=pm, done=True)
    response = pm_client.post(
        tick_url(first), {"done": "1", "comment": "Accord oral du 12/03", "evidence_url": "https://drive.example/accord"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="item-{first.pk}"')
    assert 'aria-pressed="true"' in html
    assert "Accord oral du 12/03" in html and "https://drive.example/accord" in html
    assert 'id="gate-panel"' in html and 'hx-swap-oob="true"' in html
    assert "Aucun point bloquant" in html
    assert 'data-transition="qualify" disabled' not in html
    assert 'id="checklist-progress"' in html and "3 / 3" in html
    first.refresh_from_db()
    assert first.done and first.done_by == pm and first.comment == "Accord oral du 12/03"
    assert HistoryEntry.objects.filter(delivery=delivery, kind=HistoryKind.TICK, data__item_id=first.pk).exists()


def test_it_unticks_and_records_it(pm_client, delivery, pm):
    item = items(delivery).first()
    item_set_done(item_id=item.pk, user=pm, done=True)
    response = pm_client.post(tick_url(item), {"done": "0"}, HTTP_HX_REQUEST="true")
    assert 'aria-pressed="false"' in response.content.decode()
    item.refresh_from_db()
    assert not item.done
    assert HistoryEntry.objects.filter(delivery=delivery, kind=HistoryKind.UNTICK).count() == 1


def test_it_rejects_a_bad_evidence_link_without_losing_the_row(pm_client, delivery):
    item = items(delivery).first()
    response = pm_client.post(tick_url(item), {"done": "1", "evidence_url": "javascript:alert(1)"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Le lien de preuve doit commencer par http:// ou https://." in response.content.decode()
    item.refresh_from_db()
    assert not item.done


def test_it_falls_back_to_a_redirect_without_htmx(pm_client, delivery):
    item = items(delivery).first()
    response = pm_client.post(tick_url(item), {"done": "1"}, follow=True)
    assert response.redirect_chain[-1][0].startswith(detail_url(delivery))
    assert "« Grille de qualification remplie (catégorie, modules, maintenance) » coché." in response.content.decode()


def test_it_lets_the_partner_tick_its_items_only(client, delivery, partner_user):
    advance_to(delivery, Stage.CADRAGE)
    client.force_login(partner_user)
    agency_item = items(delivery).get(responsible="agency", label__startswith="Périmètre")
    partner_item = items(delivery).get(responsible="partner")
    assert client.post(tick_url(agency_item), {"done": "1"}, HTTP_HX_REQUEST="true").status_code == 404
    assert client.post(tick_url(partner_item), {"done": "1"}, HTTP_HX_REQUEST="true").status_code == 200
    agency_item.refresh_from_db()
    partner_item.refresh_from_db()
    assert not agency_item.done and partner_item.done


def test_it_hides_items_from_another_partner(client, delivery, other_partner_user):
    client.force_login(other_partner_user)
    item = items(delivery).first()
    assert client.post(tick_url(item), {"done": "1"}, HTTP_HX_REQUEST="true").status_code == 404


def test_it_refreshes_the_page_when_the_item_belongs_to_a_past_stage(pm_client, delivery):
    old = items(delivery).first()
    advance_to(delivery, Stage.CADRAGE)
    response = pm_client.post(tick_url(old), {"done": "0"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    old.refresh_from_db()
    assert old.done


# --- transitions -----------------------------------------------------------------------

def test_it_shows_the_same_blockers_after_a_refused_transition(pm_client, delivery):
    response = pm_client.post(transition_url(delivery, "qualify"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "« Valider la qualification » refusé : 3 points bloquants" in html
    assert "Checklist : « Accord de principe du client » non coché" in html
    assert Delivery.objects.get(pk=delivery.pk).stage == Stage.QUALIFICATION


def test_it_advances_when_the_gate_is_clear(pm_client, delivery):
    items(delivery).update(done=True)
    response = pm_client.post(transition_url(delivery, "qualify"), follow=True)
    assert response.status_code == 200
    assert Delivery.objects.get(pk=delivery.pk).stage == Stage.CADRAGE
    html = response.content.decode()
    assert "la livraison est maintenant en Cadrage" in html
    assert "Checklist — Cadrage" in html


def test_it_asks_a_reason_to_refuse(pm_client, delivery):
    response = pm_client.post(transition_url(delivery, "refuse"), {"note": "  "})
    assert response.status_code == 200
    assert "Indiquez le motif" in response.content.decode()
    assert Delivery.objects.get(pk=delivery.pk).stage == Stage.QUALIFICATION
    pm_client.post(transition_url(delivery, "refuse"), {"note": "Budget hors cible"})
    delivery.refresh_from_db()
    assert delivery.stage == Stage.REFUSED and delivery.refusal_reason == "Budget hors cible"
    html = pm_client.get(detail_url(delivery)).content.decode()
    assert "Projet refusé" in html and "Budget hors cible" in html


def test_it_shows_a_partner_the_r8_refusal_instead_of_an_error(client, delivery, partner_user):
    items(delivery).update(done=True)
    client.force_login(partner_user)
    response = client.post(transition_url(delivery, "qualify"))
    assert response.status_code == 200
    assert "relève d&#x27;une autre partie" in response.content.decode()
    assert Delivery.objects.get(pk=delivery.pk).stage == Stage.QUALIFICATION


def test_it_lets_the_partner_go_back_from_pre_delivery_with_a_reason(client, delivery, partner_user):
    advance_to(delivery, Stage.PRE_DELIVERY)
    client.force_login(partner_user)
    html = client.get(detail_url(delivery)).content.decode()
    assert "Recette interne non concluante…" in html
    client.post(transition_url(delivery, "fail_internal_recette"), {"note": "Paiement KO en préprod"})
    assert Delivery.objects.get(pk=delivery.pk).stage == Stage.PRODUCTION
    entry = HistoryEntry.objects.filter(delivery=delivery, kind=HistoryKind.TRANSITION).first()
    assert entry.note == "Paiement KO en préprod" and entry.actor == partner_user


def test_it_says_when_the_stage_changed_meanwhile(pm_client, delivery):
    response = pm_client.post(transition_url(delivery, "go_live"))
    assert response.status_code == 200
    assert "la livraison a changé d&#x27;étape" in response.content.decode()


def test_it_refuses_unknown_transitions_and_get(pm_client, delivery):
    assert pm_client.post(transition_url(delivery, "teleport")).status_code == 404
    assert pm_client.get(transition_url(delivery, "qualify")).status_code == 405


# --- waivers ----------------------------------------------------------------------------------

def test_r9_pm_waives_an_item_and_it_shows_who_when_why(pm_client, delivery, pm):
    item = items(delivery).first()
    url = reverse("delivery:item_waive", args=[item.pk])
    response = pm_client.post(url, {"justification": "court"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "10 caractères" in html
    assert ">court</textarea>" in html  # the text typed is kept
    response = pm_client.post(url, {"justification": "Grille validée oralement en réunion du 3 mars"}, follow=True)
    html = response.content.decode()
    assert "Exception documentée par" in html and "Grille validée oralement en réunion du 3 mars" in html
    item.refresh_from_db()
    assert item.waived and item.waived_by == pm


def test_r9_partner_cannot_waive(client, delivery, partner_user):
    client.force_login(partner_user)
    item = items(delivery).first()
    response = client.post(reverse("delivery:item_waive", args=[item.pk]), {"justification": "Une justification longue"})
    assert response.status_code == 404
    item.refresh_from_db()
    assert not item.waived


def test_r9_pm_waives_r4_and_the_transition_records_it(pm_client, delivery, pm):
    Project.objects.filter(pk=delivery.project_id).update(maintenance_plan=Project.Maintenance.NONE)
    advance_to(delivery, Stage.PRE_DELIVERY)
    html = pm_client.get(detail_url(delivery)).content.decode()
    assert "Aucun contrat de maintenance avant livraison client" in html
    assert "Documenter une exception à R4" in html
    response = pm_client.post(
        reverse("delivery:rule_waive", args=[delivery.pk]),
        {"code": "R4", "justification": "Contrat en cours de signature, validé par la direction"},
        follow=True,
    )
    assert "Exception documentée sur la règle R4." in response.content.decode()
    waiver = RuleWaiver.objects.get(delivery=delivery)
    assert waiver.code == "R4" and waiver.created_by == pm
    assert "Contrat en cours de signature" in pm_client.get(detail_url(delivery)).content.decode()


def test_it_explains_a_rule_waiver_that_does_not_apply(pm_client, delivery):
    response = pm_client.post(
        reverse("delivery:rule_waive", args=[delivery.pk]), {"code": "R4", "justification": "Une justification longue"}
    )
    assert response.status_code == 200
    assert "ne bloque pas la livraison" in response.content.decode()
    assert not RuleWaiver.objects.exists()


# --- planning, change requests, requalification ---------------------------------------------

def test_it_lets_the_pm_plan_stage_dates(pm_client, delivery):
    response = pm_client.post(
        reverse("delivery:planned_dates", args=[delivery.pk]),
        {"planned_qualification": "2030-01-05", "planned_cadrage": "2030-01-12"},
    )
    assert response.status_code == 302
    assert StageDate.objects.get(delivery=delivery, stage=Stage.CADRAGE).planned_date.isoformat() == "2030-01-12"
    assert HistoryEntry.objects.filter(delivery=delivery, summary="Planning mis à jour").exists()
    assert "Prévu 12/01" in pm_client.get(detail_url(delivery)).content.decode()


def test_it_refuses_planned_dates_out_of_order(pm_client, delivery):
    response = pm_client.post(
        reverse("delivery:planned_dates", args=[delivery.pk]),
        {"planned_qualification": "2030-02-05", "planned_cadrage": "2030-01-12"},
    )
    assert response.status_code == 200
    assert "Cette date précède celle de l&#x27;étape" in response.content.decode()
    assert StageDate.objects.get(delivery=delivery, stage=Stage.CADRAGE).planned_date is None


def test_it_creates_and_decides_change_requests(pm_client, delivery):
    response = pm_client.post(
        reverse("delivery:change_request_create", args=[delivery.pk]),
        {"title": "Ajout d'une langue", "kind": "devis", "amount": "900"},
    )
    assert response.status_code == 302
    cr = ChangeRequest.objects.get()
    assert cr.status == ChangeRequest.Status.DRAFT
    pm_client.post(reverse("delivery:change_request_decide", args=[cr.pk]), {"status": "accepted"})
    cr.refresh_from_db()
    assert cr.status == ChangeRequest.Status.ACCEPTED and cr.decided_at
    html = pm_client.get(detail_url(delivery)).content.decode()
    assert "Ajout d&#x27;une langue" in html and "Accepté" in html


def test_it_keeps_an_invalid_change_request_form(pm_client, delivery):
    response = pm_client.post(reverse("delivery:change_request_create", args=[delivery.pk]), {"title": "", "kind": "devis", "amount": "abc"})
    assert response.status_code == 200
    assert "n&#x27;a pas été créé" in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_r7_requalify_creates_a_linked_delivery_at_qualification(pm_client, delivery):
    advance_to(delivery, Stage.PRODUCTION)
    url = reverse("delivery:requalify", args=[delivery.pk])
    assert pm_client.get(url).status_code == 200
    response = pm_client.post(url, {"title": "Ajout d'une boutique", "note": "Demandé en réunion de suivi"})
    new = Delivery.objects.exclude(pk=delivery.pk).get()
    assert response["Location"] == detail_url(new)
    assert new.origin == delivery and new.stage == Stage.QUALIFICATION and new.project == delivery.project
    assert "Issue de la requalification de" in pm_client.get(detail_url(new)).content.decode()
    assert "Requalifiée en" in pm_client.get(detail_url(delivery)).content.decode()


def test_it_shows_the_history_newest_first_with_waived_items(pm_client, delivery, pm):
    item = items(delivery).first()
    from delivery.services import item_waive

    item_waive(item_id=item.pk, user=pm, justification="Validée oralement avec le client")
    items(delivery).exclude(pk=item.pk).update(done=True)
    pm_client.post(transition_url(delivery, "qualify"))
    response = pm_client.get(detail_url(delivery))
    history = response.context["history"]
    assert history[0].kind == HistoryKind.TRANSITION
    assert history[-1].kind == HistoryKind.CREATED
    html = response.content.decode()
    assert "Points levés par exception" in html and "Validée oralement avec le client" in html


# --- creation and qualification grid ------------------------------------------------------

def test_it_creates_a_delivery_for_a_project(pm_client, project):
    url = reverse("delivery:create", args=[project.pk])
    assert pm_client.get(url).status_code == 200
    response = pm_client.post(url, {"title": "Refonte", "category": "2", "planned_cadrage": "2030-03-01"})
    delivery = Delivery.objects.get(title="Refonte")
    assert response["Location"] == detail_url(delivery)
    assert delivery.stage == Stage.QUALIFICATION and delivery.category == 2
    assert StageDate.objects.get(delivery=delivery, stage=Stage.CADRAGE).planned_date.isoformat() == "2030-03-01"


def test_it_keeps_delivery_creation_from_partners(client, project, partner_user):
    client.force_login(partner_user)
    assert client.post(reverse("delivery:create", args=[project.pk]), {"title": "X"}).status_code == 404
    assert not Delivery.objects.exists()


def test_r2_qualification_grid_records_category_maintenance_hosting(pm_client, delivery):
    project = ProjectFactory(maintenance_plan="", hosting_compatible=None)
    from tests.factories import DeliveryFactory

    fresh = DeliveryFactory(project=project, category=None)
    url = reverse("delivery:qualification", args=[fresh.pk])
    assert "Grille de qualification incomplète" in pm_client.get(detail_url(fresh)).content.decode()
    response = pm_client.post(
        url, {"category": "3", "maintenance_plan": "comfort", "hosting_provider": "OVH", "hosting_compatible": "false"}
    )
    assert response.status_code == 302
    fresh.refresh_from_db()
    project.refresh_from_db()
    assert fresh.category == 3 and project.maintenance_plan == "comfort" and project.hosting_compatible is False
    html = pm_client.get(detail_url(fresh)).content.decode()
    assert "Grille de qualification incomplète" not in html
    assert "Maintenance choisie mais hébergement non compatible" in html  # R3


def test_r5_grid_after_cadrage_shows_the_error_without_a_change_request(pm_client, delivery):
    advance_to(delivery, Stage.PRODUCTION)
    url = reverse("delivery:qualification", args=[delivery.pk])
    page = pm_client.get(url).content.decode()
    assert "Périmètre figé depuis le cadrage (R5)" in page
    assert "Aucun avenant ni devis accepté" in page
    response = pm_client.post(url, {"category": "4", "maintenance_plan": "essential", "hosting_compatible": "true"})
    assert response.status_code == 200
    assert "demande un avenant ou un devis accepté (R5)" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.category == 1


def test_r5_grid_after_cadrage_accepts_an_accepted_change_request(pm_client, delivery, pm):
    from delivery.services import change_request_create, change_request_decide

    advance_to(delivery, Stage.PRODUCTION)
    cr = change_request_create(delivery=delivery, user=pm, title="Passage en Cat.3", kind="avenant")
    change_request_decide(change_request=cr, user=pm, status="accepted")
    url = reverse("delivery:qualification", args=[delivery.pk])
    response = pm_client.post(
        url, {"category": "3", "maintenance_plan": "essential", "hosting_compatible": "true", "change_request": cr.pk}
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.category == 3 and delivery.frozen_scope["category"] == 3


def test_it_returns_to_the_tab_that_posted_a_change_request(pm_client, delivery):
    from django.urls import reverse

    back = reverse("recette:tab", args=[delivery.pk]) + "#cycles"
    response = pm_client.post(
        reverse("delivery:change_request_create", args=[delivery.pk]),
        {"title": "Tour de retours supplémentaire", "kind": "devis", "amount": "450", "next": back},
    )
    assert response.status_code == 302 and response["Location"] == back
    cr = delivery.change_requests.get()
    response = pm_client.post(reverse("delivery:change_request_decide", args=[cr.pk]), {"status": "accepted", "next": "https://evil.example/"})
    assert response["Location"] == delivery.get_absolute_url() + "#avenants"  # never off-site
    cr.refresh_from_db()
    assert cr.status == "accepted"
