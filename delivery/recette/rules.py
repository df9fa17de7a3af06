"""Who may do what in the recette. Seeing it follows the delivery (404 otherwise)."""

from __future__ import annotations

import rules

from delivery.rules import can_view_delivery
from projects.rules import is_agency


def can_manage_cahier(user, delivery) -> bool:
    """The cahier and the PV are the agency's documents; the partner executes the recette."""
    return is_agency(user)


can_generate_pv = can_manage_cahier


def can_decide_exception(user, delivery) -> bool:
    """R9: only a PM decides an exception (a blocking anomaly left unfixed, an extra cycle)."""
    return is_agency(user)


def can_execute(user, delivery) -> bool:
    """Entering results and anomalies: PMs, and the partner on its company's deliveries."""
    return bool(can_view_delivery.test(user, delivery))


rules.add_perm("recette.manage_cahier", is_agency)
rules.add_perm("recette.execute", can_view_delivery)
