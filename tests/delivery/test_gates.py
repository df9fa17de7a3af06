"""Gates of the pipeline core: each blocker is a sentence plus a link (R2–R5, R9)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from checklists.models import DeliveryItem
from delivery import gates
from delivery.models import ChangeRequest, HistoryEntry, HistoryKind, RuleWaiver
from delivery.services import (
    change_request_create,
    change_request_decide,
    delivery_transition,
    delivery_update_qualification,
    rule_waive,
)
from projects.models import Module, Project
from projects.vocabulary import Stage
from tests.factories import advance_to

pytestmark = pytest.mark.django_db


def tick_current(delivery):
    DeliveryItem.objects.filter(delivery=delivery, stage=delivery.stage).update(done=True)


def qualify_grid(delivery, pm, **overrides):
    values = {
        "category": delivery.category,
        "modules": list(delivery.modules.all()),
        "maintenance_plan": delivery.project.maintenance_plan,
        "hosting_provider": delivery.project.hosting_provider,
        "hosting_compatible": delivery.project.hosting_compatible,
    }
    values.update(overrides)
    try:
        return delivery_update_qualification(delivery_id=delivery.pk, user=pm, **values)
    finally:
        delivery.refresh_from_db()


def test_r2_incomplete_qualification_grid_blocks(delivery, pm):
    qualify_grid(delivery, pm, category=None, maintenance_plan="", hosting_compatible=None)
    tick_current(delivery)
    blockers = gates.blockers_for(delivery, "qualify")
    assert [b.code for b in blockers] == ["R2"]
    assert blockers[0].message == (
        "Grille de qualification incomplète : catégorie, maintenance, compatibilité de l'hébergement"
    )
    assert blockers[0].url.endswith(f"/livraisons/{delivery.pk}/qualification/")
    qualify_grid(delivery, pm, category=2, maintenance_plan="none", hosting_compatible=True)
    assert gates.blockers_for(delivery, "qualify") == []


def test_r3_maintenance_without_compatible_hosting_blocks(delivery, pm):
    qualify_grid(delivery, pm, maintenance_plan=Project.Maintenance.PREMIUM, hosting_compatible=False)
    tick_current(delivery)
    blockers = gates.blockers_for(delivery, "qualify")
    assert [(b.code, b.message) for b in blockers] == [("R3", "Maintenance choisie mais hébergement non compatible")]
    assert not delivery_transition(delivery_id=delivery.pk, name="qualify", user=pm).ok


def test_r3_documented_exception_lifts_the_blocker_and_is_recorded(delivery, pm):
    qualify_grid(delivery, pm, maintenance_plan=Project.Maintenance.PREMIUM, hosting_compatible=False)
    tick_current(delivery)
    rule_waive(delivery_id=delivery.pk, code="R3", user=pm, justification="Migration d'hébergement prévue le mois prochain")
    result = delivery_transition(delivery_id=delivery.pk, name="qualify", user=pm)
    assert result.ok
    entry = HistoryEntry.objects.get(delivery=delivery, kind=HistoryKind.TRANSITION)
    assert entry.data["waived_rules"] == [{"code": "R3", "message": "Maintenance choisie mais hébergement non compatible"}]
    waiver = RuleWaiver.objects.get(delivery=delivery)
    assert waiver.created_by == pm and waiver.created_at and "Migration" in waiver.justification


def test_r4_no_client_delivery_without_a_maintenance_plan(delivery, pm):
    qualify_grid(delivery, pm, maintenance_plan=Project.Maintenance.NONE)
    advance_to(delivery, Stage.PRE_DELIVERY)
    tick_current(delivery)
    blockers = gates.blockers_for(delivery, "deliver_to_client")
    assert "Aucun contrat de maintenance avant livraison client" in [b.message for b in blockers]
    assert not delivery_transition(delivery_id=delivery.pk, name="deliver_to_client", user=pm).ok
    qualify_grid(delivery, pm, maintenance_plan=Project.Maintenance.COMFORT)
    assert "R4" not in [b.code for b in gates.blockers_for(delivery, "deliver_to_client")]


def test_r4_does_not_block_earlier_stages(delivery, pm):
    qualify_grid(delivery, pm, maintenance_plan=Project.Maintenance.NONE)
    advance_to(delivery, Stage.PRODUCTION)  # would fail loudly if R4 blocked before client delivery


def test_r5_scope_frozen_after_cadrage_needs_an_accepted_change_request(delivery, pm):
    woo = Module.objects.get(code="woocommerce")
    qualify_grid(delivery, pm, modules=[])
    advance_to(delivery, Stage.PRODUCTION)
    delivery.refresh_from_db()
    assert delivery.frozen_scope == {"category": 1, "modules": []}
    with pytest.raises(ValidationError) as excinfo:
        qualify_grid(delivery, pm, modules=[woo])
    assert "avenant" in str(excinfo.value)
    assert list(delivery.modules.all()) == []

    cr = change_request_create(delivery=delivery, user=pm, title="Boutique WooCommerce", kind="avenant", amount="1500.00")
    with pytest.raises(ValidationError):
        qualify_grid(delivery, pm, modules=[woo], change_request=cr)  # not accepted yet
    change_request_decide(change_request=cr, user=pm, status=ChangeRequest.Status.ACCEPTED)
    qualify_grid(delivery, pm, modules=[woo], change_request=cr)
    delivery.refresh_from_db()
    assert delivery.frozen_scope == {"category": 1, "modules": [woo.pk]}
    assert HistoryEntry.objects.filter(delivery=delivery, kind=HistoryKind.SCOPE_CHANGE).exists()


def test_r5_scope_edited_behind_the_apps_back_blocks_the_next_gate(delivery, pm):
    advance_to(delivery, Stage.PRODUCTION)
    delivery.modules.add(Module.objects.get(code="blog"))  # e.g. through the admin
    tick_current(delivery)
    blockers = gates.blockers_for(delivery, "submit_internal_recette")
    assert [b.code for b in blockers] == ["R5"]
    assert not blockers[0].waivable


def test_r5_before_cadrage_the_scope_changes_freely(delivery, pm):
    qualify_grid(delivery, pm, category=3, modules=[Module.objects.get(code="blog")])
    delivery.refresh_from_db()
    assert delivery.category == 3 and delivery.frozen_scope is None


def test_r9_only_waivable_blockers_can_be_waived(delivery, pm):
    qualify_grid(delivery, pm, category=None)
    with pytest.raises(ValidationError):
        rule_waive(delivery_id=delivery.pk, code="R2", user=pm, justification="Je veux passer quand même")
    with pytest.raises(ValidationError):
        rule_waive(delivery_id=delivery.pk, code="R4", user=pm, justification="x")  # too short


def test_it_adds_a_gate_with_one_function(delivery, pm, monkeypatch):
    def always_blocks(d):
        return [gates.Blocker(code="X", message="Bloqué pour le test")]

    monkeypatch.setitem(gates.GATES, "qualify", (*gates.GATES["qualify"], always_blocks))
    tick_current(delivery)
    result = delivery_transition(delivery_id=delivery.pk, name="qualify", user=pm)
    assert [b.message for b in result.blockers] == ["Bloqué pour le test"]


def test_it_requires_module_specific_items_only_when_the_module_is_in_scope(project, pm):
    from delivery.services import delivery_create

    woo = Module.objects.get(code="woocommerce")
    with_woo = delivery_create(project=project, title="Boutique", created_by=pm, category=2, modules=[woo])
    without = delivery_create(project=project, title="Vitrine", created_by=pm, category=1)
    advance_to(with_woo, Stage.PRE_DELIVERY)
    advance_to(without, Stage.PRE_DELIVERY)
    assert DeliveryItem.objects.filter(delivery=with_woo, label="WooCommerce fonctionnel").exists()
    assert not DeliveryItem.objects.filter(delivery=without, label="WooCommerce fonctionnel").exists()
