"""Materialising and ticking checklist copies."""

from __future__ import annotations

import pytest

from checklists.models import ChecklistTemplate, DeliveryItem, TemplateItem
from checklists.services import checklist_materialise, item_waive
from projects.vocabulary import Stage

pytestmark = pytest.mark.django_db


def test_it_installs_the_official_checklists_by_migration():
    counts = {t.stage: t.items.count() for t in ChecklistTemplate.objects.all()}
    assert counts == {
        "qualification": 3, "cadrage": 5, "production": 6, "pre_delivery": 8,
        "delivery": 3, "go_live": 7, "follow_up": 3,
    }
    woo = TemplateItem.objects.get(label="WooCommerce fonctionnel")
    assert woo.only_module.code == "woocommerce"


def test_it_filters_items_by_category(delivery):
    template = ChecklistTemplate.objects.get(stage=Stage.PRODUCTION)
    TemplateItem.objects.create(template=template, label="Audit d'accessibilité", responsible="partner", only_categories=[3, 4])
    cat1 = checklist_materialise(delivery=delivery, stage=Stage.PRODUCTION, category=1, module_ids=[])
    assert "Audit d'accessibilité" not in [i.label for i in cat1]
    DeliveryItem.objects.filter(delivery=delivery, stage=Stage.PRODUCTION).delete()
    cat3 = checklist_materialise(delivery=delivery, stage=Stage.PRODUCTION, category=3, module_ids=[])
    assert "Audit d'accessibilité" in [i.label for i in cat3]


def test_it_materialises_once_per_stage(delivery):
    first = checklist_materialise(delivery=delivery, stage=Stage.CADRAGE, category=1, module_ids=[])
    again = checklist_materialise(delivery=delivery, stage=Stage.CADRAGE, category=1, module_ids=[])
    assert {i.pk for i in first} == {i.pk for i in again}


def test_it_counts_optional_and_waived_items_as_satisfied(delivery, pm):
    item = DeliveryItem.objects.filter(delivery=delivery).first()
    assert not item.satisfied
    item_waive(item=item, user=pm, justification="Accord oral suffisant ici")
    assert item.satisfied
    with pytest.raises(ValueError):
        item_waive(item=item, user=pm, justification=" ")
