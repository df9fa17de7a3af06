"""The shared vocabulary of the process: stages, responsible parties, categories.

It lives in `projects` (the lowest app) so every other app can use it without
importing `delivery`.
"""

from __future__ import annotations

from django.db import models


class Stage(models.TextChoices):
    QUALIFICATION = "qualification", "Qualification"
    CADRAGE = "cadrage", "Cadrage & lancement (J0)"
    PRODUCTION = "production", "Production"
    PRE_DELIVERY = "pre_delivery", "Pré-livraison (recette interne)"
    DELIVERY = "delivery", "Livraison client"
    GO_LIVE = "go_live", "Mise en production"
    FOLLOW_UP = "follow_up", "Post-livraison (J+7)"
    MAINTENANCE = "maintenance", "Maintenance normale"
    REFUSED = "refused", "Refusé"


#: The official order of the pipeline (R1). `refused` is an end state outside it.
PIPELINE: tuple[Stage, ...] = (
    Stage.QUALIFICATION,
    Stage.CADRAGE,
    Stage.PRODUCTION,
    Stage.PRE_DELIVERY,
    Stage.DELIVERY,
    Stage.GO_LIVE,
    Stage.FOLLOW_UP,
    Stage.MAINTENANCE,
)

SHORT_LABELS: dict[str, str] = {
    Stage.QUALIFICATION: "Qualification",
    Stage.CADRAGE: "Cadrage",
    Stage.PRODUCTION: "Production",
    Stage.PRE_DELIVERY: "Pré-livraison",
    Stage.DELIVERY: "Livraison",
    Stage.GO_LIVE: "Mise en prod",
    Stage.FOLLOW_UP: "J+7",
    Stage.MAINTENANCE: "Maintenance",
    Stage.REFUSED: "Refusé",
}


class Party(models.TextChoices):
    AGENCY = "agency", "Agence"
    PARTNER = "partner", "Partenaire technique"


#: R8: who is responsible for each stage. Cadrage is shared.
STAGE_RESPONSIBLES: dict[str, frozenset[str]] = {
    Stage.QUALIFICATION: frozenset({Party.AGENCY}),
    Stage.CADRAGE: frozenset({Party.AGENCY, Party.PARTNER}),
    Stage.PRODUCTION: frozenset({Party.PARTNER}),
    Stage.PRE_DELIVERY: frozenset({Party.PARTNER}),
    Stage.DELIVERY: frozenset({Party.AGENCY}),
    Stage.GO_LIVE: frozenset({Party.PARTNER}),
    Stage.FOLLOW_UP: frozenset({Party.PARTNER}),
    Stage.MAINTENANCE: frozenset({Party.AGENCY}),
    Stage.REFUSED: frozenset({Party.AGENCY}),
}


class Category(models.IntegerChoices):
    CAT1 = 1, "Cat.1"
    CAT2 = 2, "Cat.2"
    CAT3 = 3, "Cat.3"
    CAT4 = 4, "Cat.4"
