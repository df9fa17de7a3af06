"""The stage machine through `delivery_transition`: order, gates, roles, history."""

from __future__ import annotations

import pytest
from django_fsm import TransitionNotAllowed

from checklists.models import DeliveryItem
from delivery.models import Delivery, HistoryEntry, HistoryKind, StageDate
from delivery.services import delivery_create, delivery_requalify, delivery_transition, item_set_done, item_waive
from projects.vocabulary import Stage
from tests.factories import advance_to

pytestmark = pytest.mark.django_db


def tick_all(delivery):
    for item in DeliveryItem.objects.filter(delivery=delivery, stage=delivery.stage):
        item_set_done(item_id=item.pk, user=delivery.project.pm, done=True)


def test_r1_a_delivery_always_starts_at_qualification(project, pm):
    delivery = delivery_create(project=project, title="Refonte", created_by=pm)
    assert delivery.stage == Stage.QUALIFICATION
    assert DeliveryItem.objects.filter(delivery=delivery, stage=Stage.QUALIFICATION).count() == 3
    assert HistoryEntry.objects.filter(delivery=delivery, kind=HistoryKind.CREATED).count() == 1


def test_r1_stage_cannot_be_assigned_directly(delivery):
    with pytest.raises(AttributeError):
        delivery.stage = Stage.PRODUCTION


def test_r1_stages_are_passed_in_order(delivery, pm):
    result = delivery_transition(delivery_id=delivery.pk, name="start_production", user=pm)
    assert not result.ok
    assert "changé d'étape" in result.error
    delivery.refresh_from_db()
    assert delivery.stage == Stage.QUALIFICATION
    with pytest.raises(TransitionNotAllowed):
        delivery.go_live()


def test_r1_each_stage_validated_before_the_next(delivery, pm):
    result = delivery_transition(delivery_id=delivery.pk, name="qualify", user=pm)
    assert not result.ok
    assert {b.code for b in result.blockers} == {"checklist"}
    assert len(result.blockers) == 3
    assert "« Accord de principe du client » non coché" in " ".join(b.message for b in result.blockers)
    tick_all(delivery)
    result = delivery_transition(delivery_id=delivery.pk, name="qualify", user=pm)
    assert result.ok, result.blockers
    delivery.refresh_from_db()
    assert delivery.stage == Stage.CADRAGE


def test_it_walks_the_whole_pipeline_and_records_dates_and_history(delivery, pm):
    advance_to(delivery, Stage.MAINTENANCE)
    delivery.refresh_from_db()
    assert delivery.stage == Stage.MAINTENANCE
    transitions = HistoryEntry.objects.filter(delivery=delivery, kind=HistoryKind.TRANSITION).order_by("at", "id")
    assert [(t.from_stage, t.to_stage) for t in transitions] == [
        ("qualification", "cadrage"),
        ("cadrage", "production"),
        ("production", "pre_delivery"),
        ("pre_delivery", "delivery"),
        ("delivery", "go_live"),
        ("go_live", "follow_up"),
        ("follow_up", "maintenance"),
    ]
    assert all(t.actor == pm for t in transitions)
    dates = {d.stage: d for d in StageDate.objects.filter(delivery=delivery)}
    assert dates[Stage.CADRAGE].started_at and dates[Stage.CADRAGE].completed_at
    assert dates[Stage.MAINTENANCE].started_at is not None


def test_it_gives_each_stage_its_own_copy_of_the_checklist(delivery):
    advance_to(delivery, Stage.CADRAGE)
    labels = list(DeliveryItem.objects.filter(delivery=delivery, stage=Stage.CADRAGE).values_list("label", flat=True))
    assert "Accès techniques en place (hébergement, CMS, outils)" in labels


def test_it_keeps_the_running_copy_when_the_template_changes(delivery):
    from checklists.models import TemplateItem

    advance_to(delivery, Stage.CADRAGE)
    TemplateItem.objects.filter(template__stage=Stage.CADRAGE).update(label="Modifié")
    assert not DeliveryItem.objects.filter(delivery=delivery, label="Modifié").exists()


def test_it_refuses_at_qualification_with_a_reason(delivery, pm):
    assert not delivery_transition(delivery_id=delivery.pk, name="refuse", user=pm).ok
    result = delivery_transition(delivery_id=delivery.pk, name="refuse", user=pm, note="Hors cible de l'agence")
    assert result.ok
    delivery.refresh_from_db()
    assert delivery.stage == Stage.REFUSED
    assert delivery.refusal_reason == "Hors cible de l'agence"


def test_it_goes_back_to_production_when_internal_recette_fails(delivery, pm):
    advance_to(delivery, Stage.PRE_DELIVERY)
    result = delivery_transition(delivery_id=delivery.pk, name="fail_internal_recette", user=pm)
    assert not result.ok and "motif" in result.error
    result = delivery_transition(
        delivery_id=delivery.pk, name="fail_internal_recette", user=pm, note="Formulaire de contact KO"
    )
    assert result.ok
    delivery.refresh_from_db()
    assert delivery.stage == Stage.PRODUCTION
    # Re-entering production keeps the ticked copy: no duplicate items.
    assert DeliveryItem.objects.filter(delivery=delivery, stage=Stage.PRODUCTION).count() == 6
    assert DeliveryItem.objects.filter(delivery=delivery, stage=Stage.PRODUCTION, done=True).count() == 6


def test_r7_requalification_creates_a_linked_delivery_at_qualification(delivery, pm):
    advance_to(delivery, Stage.PRODUCTION)
    new = delivery_requalify(origin=delivery, title="Ajout d'une boutique", user=pm, note="Demande client du 12/11")
    assert new.project == delivery.project
    assert new.origin == delivery
    assert new.stage == Stage.QUALIFICATION
    assert HistoryEntry.objects.filter(delivery=delivery, data__new_delivery_id=new.pk).exists()


def test_r7_partner_cannot_requalify(delivery, partner_user):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        delivery_requalify(origin=delivery, title="x", user=partner_user)


def test_r9_waived_item_counts_as_done_and_is_recorded_on_the_transition(delivery, pm):
    items = list(DeliveryItem.objects.filter(delivery=delivery, stage=Stage.QUALIFICATION))
    for item in items[:-1]:
        item_set_done(item_id=item.pk, user=pm, done=True)
    item_waive(item_id=items[-1].pk, user=pm, justification="Accord donné par téléphone, écrit à venir")
    result = delivery_transition(delivery_id=delivery.pk, name="qualify", user=pm)
    assert result.ok, result.blockers
    entry = HistoryEntry.objects.get(delivery=delivery, kind=HistoryKind.TRANSITION)
    assert entry.data["waived_items"] == [
        {"item_id": items[-1].pk, "label": items[-1].label, "justification": "Accord donné par téléphone, écrit à venir"}
    ]
    waiver = HistoryEntry.objects.get(delivery=delivery, kind=HistoryKind.WAIVER)
    assert waiver.actor == pm and "téléphone" in waiver.note


def test_r9_a_waiver_needs_a_written_justification(delivery, pm):
    from django.core.exceptions import ValidationError

    item = DeliveryItem.objects.filter(delivery=delivery).first()
    with pytest.raises(ValidationError):
        item_waive(item_id=item.pk, user=pm, justification="  ")
    item.refresh_from_db()
    assert not item.waived


def test_r9_only_a_pm_waives(delivery, partner_user):
    from django.core.exceptions import PermissionDenied

    item = DeliveryItem.objects.filter(delivery=delivery).first()
    with pytest.raises(PermissionDenied):
        item_waive(item_id=item.pk, user=partner_user, justification="Je préfère sauter cette étape")


def test_it_records_tick_and_untick_with_who_and_comment(delivery, pm):
    item = DeliveryItem.objects.filter(delivery=delivery).first()
    item_set_done(item_id=item.pk, user=pm, done=True, comment="Grille signée", evidence_url="https://drive.example/grille")
    item.refresh_from_db()
    assert item.done and item.done_by == pm and item.done_at and item.evidence_url == "https://drive.example/grille"
    item_set_done(item_id=item.pk, user=pm, done=False, comment="Erreur de saisie")
    item.refresh_from_db()
    assert not item.done and item.done_by is None
    kinds = list(HistoryEntry.objects.filter(delivery=delivery).order_by("at", "id").values_list("kind", flat=True))
    assert kinds[-2:] == [HistoryKind.TICK, HistoryKind.UNTICK]


def test_it_freezes_items_of_a_validated_stage(delivery, pm):
    from django.core.exceptions import ValidationError

    advance_to(delivery, Stage.CADRAGE)
    old = DeliveryItem.objects.filter(delivery=delivery, stage=Stage.QUALIFICATION).first()
    with pytest.raises(ValidationError):
        item_set_done(item_id=old.pk, user=pm, done=False)


def test_it_needs_a_user_or_a_stated_origin(delivery):
    with pytest.raises(ValueError):
        delivery_transition(delivery_id=delivery.pk, name="qualify", user=None)


def test_it_lets_the_portal_or_the_system_act_on_behalf_with_gates_still_applied(delivery):
    result = delivery_transition(delivery_id=delivery.pk, name="qualify", user=None, on_behalf_of="système")
    assert not result.ok and result.blockers
    tick_all(delivery)
    result = delivery_transition(delivery_id=delivery.pk, name="qualify", user=None, on_behalf_of="système")
    assert result.ok
    entry = HistoryEntry.objects.get(delivery=delivery, kind=HistoryKind.TRANSITION)
    assert entry.actor is None and entry.data["on_behalf_of"] == "système"


def test_it_refuses_an_unknown_transition_without_error(delivery, pm):
    result = delivery_transition(delivery_id=delivery.pk, name="teleport", user=pm)
    assert not result.ok and result.error
    assert Delivery.objects.get(pk=delivery.pk).stage == Stage.QUALIFICATION
