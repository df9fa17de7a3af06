"""The transitions of the stage machine, as the UI and the services see them."""

from __future__ import annotations

from dataclasses import dataclass

from projects.vocabulary import Stage


@dataclass(frozen=True)
class TransitionSpec:
    name: str  # the Delivery method
    source: str
    target: str
    label: str  # the button, in French
    kind: str  # "forward", "backward" or "refuse"

    @property
    def needs_note(self) -> bool:
        """Going back or refusing must say why; it is part of the history."""
        return self.kind != "forward"


TRANSITIONS: tuple[TransitionSpec, ...] = (
    TransitionSpec("qualify", Stage.QUALIFICATION, Stage.CADRAGE, "Valider la qualification", "forward"),
    TransitionSpec("refuse", Stage.QUALIFICATION, Stage.REFUSED, "Refuser le projet", "refuse"),
    TransitionSpec("start_production", Stage.CADRAGE, Stage.PRODUCTION, "Lancer la production", "forward"),
    TransitionSpec(
        "submit_internal_recette", Stage.PRODUCTION, Stage.PRE_DELIVERY, "Passer en recette interne", "forward"
    ),
    TransitionSpec(
        "fail_internal_recette", Stage.PRE_DELIVERY, Stage.PRODUCTION, "Recette interne non concluante", "backward"
    ),
    TransitionSpec("deliver_to_client", Stage.PRE_DELIVERY, Stage.DELIVERY, "Livrer au client", "forward"),
    TransitionSpec(
        "open_feedback_cycle", Stage.DELIVERY, Stage.PRODUCTION, "Ouvrir un cycle de retours client", "backward"
    ),
    TransitionSpec("go_live", Stage.DELIVERY, Stage.GO_LIVE, "Mettre en production", "forward"),
    TransitionSpec("start_follow_up", Stage.GO_LIVE, Stage.FOLLOW_UP, "Démarrer le suivi J+7", "forward"),
    TransitionSpec("close_to_maintenance", Stage.FOLLOW_UP, Stage.MAINTENANCE, "Passer en maintenance normale", "forward"),
)

BY_NAME: dict[str, TransitionSpec] = {t.name: t for t in TRANSITIONS}


def transitions_from(stage: str) -> list[TransitionSpec]:
    return [t for t in TRANSITIONS if t.source == stage]
