"""Gates the recette adds to the pipeline (registered in `delivery.gates.GATES`)."""

from __future__ import annotations

from django.urls import reverse

from delivery.gates import Blocker
from delivery.recette.selectors import (
    blocking_unresolved_count,
    current_pv,
    feedback_cycles,
    internal_runs_executed,
)


def internal_recette_passed(delivery) -> list[Blocker]:
    """pre_delivery → delivery: an internal run was executed and no blocking anomaly is open."""
    url = reverse("recette:tab", args=[delivery.pk])
    blockers = []
    has_run, executed = internal_runs_executed(delivery)
    if not executed:
        blockers.append(
            Blocker(
                code="recette_interne",
                message=(
                    "Recette interne : aucun cas exécuté dans la campagne"
                    if has_run
                    else "Recette interne : aucune campagne exécutée"
                ),
                url=url + "#campagnes",
            )
        )
    blocking = blocking_unresolved_count(delivery)
    if blocking:
        blockers.append(
            Blocker(
                code="anomalie_bloquante",
                message=f"{blocking} anomalie{'s' if blocking > 1 else ''} bloquante{'s' if blocking > 1 else ''}"
                f" non résolue{'s' if blocking > 1 else ''}",
                url=url + "?gravite=blocking#anomalies",
            )
        )
    return blockers


def pv_is_go(delivery) -> list[Blocker]:
    """delivery → go_live: the current PV version decides GO or GO avec réserves (R15)."""
    url = reverse("recette:pv", args=[delivery.pk])
    pv = current_pv(delivery)
    if pv is None:
        return [Blocker(code="pv", message="PV de recette : aucune version générée", url=url)]
    if not pv.is_go:
        return [
            Blocker(
                code="pv",
                message=f"PV de recette v{pv.number} : décision {pv.get_decision_display()} — corrigez puis régénérez-le",
                url=url,
            )
        ]
    if pv.created_at < delivery.stage_entered_at:
        # A PV made before the latest feedback cycle does not describe the delivered site.
        return [
            Blocker(
                code="pv",
                message=f"PV de recette v{pv.number} antérieur au dernier passage en livraison — régénérez-le",
                url=url,
            )
        ]
    return []


def feedback_cycle_within_cap(delivery) -> list[Blocker]:
    """R6: client feedback cycles are capped by category; past the cap an accepted change
    request or a documented exception pays for each extra cycle."""
    cycles = feedback_cycles(delivery)
    if cycles.used < cycles.allowed:
        return []
    category = delivery.get_category_display() if delivery.category else "sans catégorie"
    return [
        Blocker(
            code=cycles.next_waiver_code,
            message=(
                f"Plafond de cycles de retours atteint ({cycles.used} sur {cycles.allowed} autorisé"
                f"{'s' if cycles.allowed > 1 else ''}, {category}) : avenant ou devis accepté, ou exception documentée (R6)"
            ),
            url=reverse("recette:tab", args=[delivery.pk]) + "#cycles",
            waivable=True,
        )
    ]
