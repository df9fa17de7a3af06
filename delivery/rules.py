"""Who may do what on a delivery (package `rules`). Views check these on the server."""

from __future__ import annotations

import rules

from projects.rules import is_agency
from projects.vocabulary import STAGE_RESPONSIBLES, Party


@rules.predicate
def is_delivery_partner(user, delivery) -> bool:
    return bool(
        delivery is not None
        and user.is_authenticated
        and user.is_partner
        and delivery.project.partner_id == user.partner_id
    )


can_view_delivery = is_agency | is_delivery_partner


def can_tick_item(user, item) -> bool:
    """PMs tick anything; a partner ticks the items its company is responsible for."""
    if is_agency(user):
        return True
    return is_delivery_partner(user, item.delivery) and Party.PARTNER in item.parties


def can_trigger(user, delivery, spec) -> bool:
    """R8: the stage's responsible party triggers its transitions; PMs trigger all."""
    if is_agency(user):
        return True
    return is_delivery_partner(user, delivery) and Party.PARTNER in STAGE_RESPONSIBLES.get(spec.source, frozenset())


rules.add_perm("delivery.see_delivery", can_view_delivery)
rules.add_perm("delivery.waive", is_agency)  # documented exceptions are the PM's decision (R9)
rules.add_perm("delivery.edit_scope", is_agency)
