"""Gates: what stands between a delivery and its next stage.

A gate is a plain function `(delivery) -> list[Blocker]`. A transition is allowed when
every gate registered for it returns an empty list. Adding a gate is one function plus
one line in `GATES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse

from projects.vocabulary import Stage


@dataclass(frozen=True)
class Blocker:
    code: str  # "checklist", "R3", "R4", … ; a RuleWaiver with this code lifts a waivable blocker
    message: str  # a sentence a PM understands
    url: str = ""  # where to fix it
    waivable: bool = False  # a PM may document an exception to it (R9)
    data: dict = field(default_factory=dict, compare=False)


Gate = Callable[["Delivery"], list[Blocker]]  # noqa: F821


# --- gates of the pipeline core -------------------------------------------------------

def checklist_complete(delivery) -> list[Blocker]:
    """Every required item of the current stage ticked or waived (R1, R9)."""
    url = reverse("delivery:detail", args=[delivery.pk]) + "#checklist"
    return [
        Blocker(
            code="checklist",
            message=f"Checklist : « {item.label} » non coché",
            url=url,
            data={"item_id": item.pk},
        )
        for item in delivery.checklist_items.all()
        if item.stage == delivery.stage and not item.satisfied
    ]


def qualification_grid_complete(delivery) -> list[Blocker]:
    """R2: category, maintenance and hosting compatibility recorded."""
    url = reverse("delivery:qualification", args=[delivery.pk])
    project = delivery.project
    missing = []
    if delivery.category is None:
        missing.append("catégorie")
    if project.maintenance_plan == "":
        missing.append("maintenance")
    if project.hosting_compatible is None:
        missing.append("compatibilité de l'hébergement")
    if not missing:
        return []
    return [Blocker(code="R2", message="Grille de qualification incomplète : " + ", ".join(missing), url=url)]


def maintenance_needs_compatible_hosting(delivery) -> list[Blocker]:
    """R3: no maintenance without compatible hosting."""
    project = delivery.project
    if project.has_maintenance and project.hosting_compatible is False:
        return [
            Blocker(
                code="R3",
                message="Maintenance choisie mais hébergement non compatible",
                url=reverse("delivery:qualification", args=[delivery.pk]),
                waivable=True,
            )
        ]
    return []


def maintenance_plan_before_delivery(delivery) -> list[Blocker]:
    """R4: no client delivery without a maintenance plan."""
    if delivery.project.has_maintenance:
        return []
    return [
        Blocker(
            code="R4",
            message="Aucun contrat de maintenance avant livraison client",
            url=reverse("delivery:qualification", args=[delivery.pk]),
            waivable=True,
        )
    ]


def scope_unchanged_since_cadrage(delivery) -> list[Blocker]:
    """R5: after cadrage the scope changes only through a change request."""
    if delivery.frozen_scope is None or delivery.scope_snapshot() == delivery.frozen_scope:
        return []
    return [
        Blocker(
            code="R5",
            message="Périmètre modifié après le cadrage sans avenant ni devis accepté",
            url=reverse("delivery:qualification", args=[delivery.pk]),
        )
    ]


from delivery.golive import gates as golive_gates  # noqa: E402 - after Blocker, which it uses
from delivery.recette import gates as recette_gates  # noqa: E402 - after Blocker, which it uses
from delivery.portal import gates as portal_gates  # noqa: E402 - after Blocker, which it uses

GATES: dict[str, tuple[Gate, ...]] = {
    "qualify": (checklist_complete, qualification_grid_complete, maintenance_needs_compatible_hosting),
    "start_production": (checklist_complete, maintenance_needs_compatible_hosting),
    "submit_internal_recette": (checklist_complete, scope_unchanged_since_cadrage),
    "deliver_to_client": (
        checklist_complete,
        maintenance_plan_before_delivery,
        maintenance_needs_compatible_hosting,
        scope_unchanged_since_cadrage,
        recette_gates.internal_recette_passed,
    ),
    "open_feedback_cycle": (recette_gates.feedback_cycle_within_cap,),
    "go_live": (checklist_complete, maintenance_plan_before_delivery, scope_unchanged_since_cadrage, recette_gates.pv_is_go,
               portal_gates.client_validation_of_current_pv),
    "start_follow_up": (checklist_complete, golive_gates.rollout_reached_full_traffic),
    "close_to_maintenance": (checklist_complete, golive_gates.follow_up_day_reached),
}


def evaluate(delivery, transition_name: str) -> tuple[list[Blocker], list[Blocker]]:
    """Return (blockers, waived): waivable blockers lifted by a documented exception move
    to `waived` so the transition can record them."""
    found = [blocker for gate in GATES.get(transition_name, ()) for blocker in gate(delivery)]
    waived_codes = {w.code for w in delivery.rule_waivers.all()}
    blocking = [b for b in found if not (b.waivable and b.code in waived_codes)]
    waived = [b for b in found if b.waivable and b.code in waived_codes]
    return blocking, waived


def blockers_for(delivery, transition_name: str) -> list[Blocker]:
    return evaluate(delivery, transition_name)[0]


def waived_checklist_items(delivery) -> list:
    return [item for item in delivery.checklist_items.all() if item.stage == delivery.stage and item.waived and not item.done]


STAGE_AFTER: dict[str, str] = {
    Stage.QUALIFICATION: "qualify",
    Stage.CADRAGE: "start_production",
    Stage.PRODUCTION: "submit_internal_recette",
    Stage.PRE_DELIVERY: "deliver_to_client",
    Stage.DELIVERY: "go_live",
    Stage.GO_LIVE: "start_follow_up",
    Stage.FOLLOW_UP: "close_to_maintenance",
}
"""The forward transition out of each stage: what the board counts as blockers."""
