"""Non-trivial reads for the pages: the portfolio board, the partner's to-do list and the
delivery page. Each reads in a fixed number of queries whatever the number of deliveries.

Gates added by features may need more related rows: they add their prefetch lookups to
`BOARD_PREFETCH` (one line) so the board's blocker count keeps a constant query count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from checklists.models import DeliveryItem, Responsible
from delivery import gates
from delivery.models import Delivery, HistoryEntry
from delivery.rules import can_tick_item, can_trigger
from delivery.transitions import transitions_from
from projects.models import Partner, User
from projects.text import plain_text
from projects.vocabulary import PIPELINE, SHORT_LABELS, Category, Party, Stage

#: Related rows the gates read, loaded once for all the cards shown on the board.
#: Only the unsatisfied items of each delivery's current stage: that is all the checklist
#: gate counts, and it keeps the board light when deliveries have long histories.
BOARD_PREFETCH: list[Any] = [
    Prefetch(
        "checklist_items",
        queryset=DeliveryItem.objects.filter(stage=F("delivery__stage"), required=True, done=False, waived=False)
        .only("id", "delivery_id", "stage", "label", "required", "done", "waived")
        .order_by("position", "pk"),
    ),
    "rule_waivers",
    "modules",
    "stage_dates",
]

#: Cards shown per column before « Tout afficher » (oldest in the stage first: the most urgent).
COLUMN_LIMIT = 20

#: `(deliveries) -> {delivery_id: [(label, css_class), …]}` in a constant number of queries;
#: features (rollout, J+7…) register their board badges here.
BOARD_BADGES: list[Callable[[list[Delivery]], dict[int, list[tuple[str, str]]]]] = []

# Go-live (issue 5): J+7 and rollout badges (they also prefetch what the go-live gates read).
from delivery.golive import selectors as golive_selectors  # noqa: E402

BOARD_BADGES.append(golive_selectors.board_badges)

# Recette (issue 3): the runs, anomalies and PV versions the recette gates read.
from delivery.recette.selectors import gate_prefetch as recette_gate_prefetch  # noqa: E402

BOARD_PREFETCH.extend(recette_gate_prefetch())

# Client portal (issue 4): the validations the go-live gate reads.
from delivery.portal.gates import gate_prefetch as portal_gate_prefetch  # noqa: E402

BOARD_PREFETCH.extend(portal_gate_prefetch())


# --- portfolio board -----------------------------------------------------------------

@dataclass
class BoardFilters:
    pm: int | None = None
    partner: int | None = None
    category: int | None = None
    q: str = ""
    refused: bool = False
    stage: str = ""  # one column shown in full

    @classmethod
    def from_query(cls, params: Any) -> BoardFilters:
        def as_int(name: str) -> int | None:
            value = (params.get(name) or "").strip()
            return int(value) if value.isdigit() else None

        return cls(
            pm=as_int("pm"),
            partner=as_int("partner"),
            category=as_int("category"),
            q=plain_text(params.get("q"), max_length=100),
            refused=params.get("refused") in ("1", "on", "true"),
            stage=params.get("stage", "") if params.get("stage", "") in Stage.values else "",
        )

    @property
    def active(self) -> bool:
        return bool(self.pm or self.partner or self.category or self.q)


@dataclass
class BoardCard:
    delivery: Delivery
    blockers: int
    days_in_stage: int
    badges: list[tuple[str, str]] = field(default_factory=list)


def board_queryset(filters: BoardFilters) -> QuerySet[Delivery]:
    qs = Delivery.objects.all()
    if not filters.refused and filters.stage != Stage.REFUSED:
        qs = qs.exclude(stage=Stage.REFUSED)
    if filters.pm:
        qs = qs.filter(project__pm_id=filters.pm)
    if filters.partner:
        qs = qs.filter(project__partner_id=filters.partner)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.q:
        qs = qs.filter(
            Q(project__name__icontains=filters.q) | Q(project__client__name__icontains=filters.q) | Q(title__icontains=filters.q)
        )
    return qs.order_by("stage_entered_at", "pk")


def board_cards(deliveries: list[Delivery]) -> list[BoardCard]:
    """The one place where the board counts blockers: the forward gate of each card's stage.

    Loads what the gates read for all the cards at once (`BOARD_PREFETCH`), so the query
    count does not depend on the number of cards."""
    prefetch_related_objects(deliveries, *BOARD_PREFETCH)
    now = timezone.now()
    badges: dict[int, list[tuple[str, str]]] = {}
    for provider in BOARD_BADGES:
        for delivery_id, items in provider(deliveries).items():
            badges.setdefault(delivery_id, []).extend(items)
    cards = []
    for delivery in deliveries:
        transition = gates.STAGE_AFTER.get(delivery.stage)
        cards.append(
            BoardCard(
                delivery=delivery,
                blockers=len(gates.blockers_for(delivery, transition)) if transition else 0,
                days_in_stage=max((now - delivery.stage_entered_at).days, 0),
                badges=badges.get(delivery.pk, []),
            )
        )
    return cards


def board_columns(filters: BoardFilters) -> list[dict[str, Any]]:
    stages = list(PIPELINE) + ([Stage.REFUSED] if filters.refused or filters.stage == Stage.REFUSED else [])
    if filters.stage:
        stages = [filters.stage]
    # Ids first, so a large portfolio only builds the objects of the cards it shows.
    by_stage: dict[str, list[int]] = {stage: [] for stage in stages}
    for pk, stage in board_queryset(filters).values_list("pk", "stage"):
        if stage in by_stage:
            by_stage[stage].append(pk)
    shown = {stage: ids if filters.stage else ids[:COLUMN_LIMIT] for stage, ids in by_stage.items()}
    deliveries = Delivery.objects.select_related("project__client", "project__pm", "project__partner").filter(
        pk__in=[pk for ids in shown.values() for pk in ids]
    )
    cards = {card.delivery.pk: card for card in board_cards(list(deliveries))}
    return [
        {
            "stage": stage,
            "label": SHORT_LABELS[stage],
            "title": Stage(stage).label,
            "count": len(by_stage[stage]),
            "hidden": len(by_stage[stage]) - len(shown[stage]),
            "cards": [cards[pk] for pk in shown[stage]],
        }
        for stage in stages
    ]


def board_filter_choices() -> dict[str, Any]:
    return {
        "pms": list(User.objects.filter(role=User.Role.AGENCY, is_active=True, managed_projects__isnull=False).distinct().order_by("first_name", "last_name", "username")),
        "partners": list(Partner.objects.order_by("name")),
        "categories": Category.choices,
    }


# --- partner home ----------------------------------------------------------------------

def partner_todo(user: User) -> list[dict[str, Any]]:
    """« Mes points à traiter »: the unticked items the user's company owns in the current
    stage of each of its deliveries, grouped by delivery."""
    items = (
        DeliveryItem.objects.filter(
            delivery__project__partner_id=user.partner_id,
            responsible__in=[Responsible.PARTNER, Responsible.BOTH],
            done=False,
            waived=False,
        )
        .exclude(delivery__stage__in=[Stage.REFUSED, Stage.MAINTENANCE])
        .select_related("delivery__project__client")
        .order_by("delivery__stage_entered_at", "delivery_id", "position", "pk")
    )
    groups: dict[int, dict[str, Any]] = {}
    for item in items:
        if item.stage != item.delivery.stage:
            continue  # a copy from a stage already left (kept for the record)
        group = groups.setdefault(item.delivery_id, {"delivery": item.delivery, "items": []})
        group["items"].append(item)
    return list(groups.values())


def partner_deliveries(user: User) -> list[Delivery]:
    return list(
        Delivery.objects.filter(project__partner_id=user.partner_id)
        .exclude(stage=Stage.REFUSED)
        .select_related("project__client")
        .order_by("stage_entered_at")
    )


# --- delivery page ---------------------------------------------------------------------

def delivery_for_page(pk: int) -> Delivery:
    """The delivery with everything the Pilotage page and its gates read, prefetched."""
    return (
        Delivery.objects.select_related("project__client", "project__pm", "project__partner", "origin", "created_by")
        .prefetch_related(
            Prefetch(
                "checklist_items",
                queryset=DeliveryItem.objects.select_related("done_by", "waived_by").order_by("stage", "position", "pk"),
            ),
            Prefetch("rule_waivers", queryset=_rule_waivers()),
            "modules",
            "stage_dates",
        )
        .get(pk=pk)
    )


def _rule_waivers() -> QuerySet:
    from delivery.models import RuleWaiver

    return RuleWaiver.objects.select_related("created_by").order_by("-created_at")


def current_items(delivery: Delivery, user: User) -> list[dict[str, Any]]:
    return [
        {"item": item, "can_tick": can_tick_item(user, item) and delivery.stage in PIPELINE}
        for item in delivery.checklist_items.all()
        if item.stage == delivery.stage
    ]


def past_checklists(delivery: Delivery) -> list[dict[str, Any]]:
    """Checklists of the stages already passed, read-only, newest stage first."""
    by_stage: dict[str, list[DeliveryItem]] = {}
    for item in delivery.checklist_items.all():
        if item.stage != delivery.stage:
            by_stage.setdefault(item.stage, []).append(item)
    return [
        {"stage": stage, "label": Stage(stage).label, "items": by_stage[stage]}
        for stage in reversed(PIPELINE)
        if stage in by_stage
    ]


def transition_panel(delivery: Delivery, user: User, blockers: list[gates.Blocker] | None = None) -> dict[str, Any]:
    """The forward transition's blockers and every possible transition with why it is (not) allowed.

    `blockers` is given when a refused POST already evaluated them, so the page shows
    exactly the list the service refused with.
    """
    forward = gates.STAGE_AFTER.get(delivery.stage)
    waived: list[gates.Blocker] = []
    if forward and blockers is None:
        blockers, waived = gates.evaluate(delivery, forward)
    blockers = blockers or []
    waived_codes = {w.code for w in delivery.rule_waivers.all()}
    buttons = []
    for spec in sorted(transitions_from(delivery.stage), key=lambda t: t.kind != "forward"):
        reason = ""
        if not can_trigger(user, delivery, spec):
            parties = " + ".join(Party(p).label.lower() for p in sorted(_responsibles(spec.source)))
            reason = f"Cette étape relève de : {parties} (R8)."
        elif spec.kind == "forward" and blockers:
            reason = f"{len(blockers)} point{'s' if len(blockers) > 1 else ''} bloquant{'s' if len(blockers) > 1 else ''} à lever."
        buttons.append({"spec": spec, "enabled": not reason, "reason": reason})
    return {
        "forward": forward,
        "blockers": blockers,
        "waived_blockers": waived,
        "waived_codes": waived_codes,
        "buttons": buttons,
    }


def _responsibles(stage: str) -> frozenset[str]:
    from projects.vocabulary import STAGE_RESPONSIBLES

    return STAGE_RESPONSIBLES.get(stage, frozenset())


def history_for(delivery: Delivery) -> list[HistoryEntry]:
    return list(HistoryEntry.objects.filter(delivery=delivery).select_related("actor").order_by("-at", "-id"))


def checklist_progress(items: list[dict[str, Any]]) -> dict[str, int]:
    required = [row["item"] for row in items if row["item"].required]
    done = sum(1 for item in required if item.satisfied)
    total = len(required)
    return {"done": done, "total": total, "percent": round(100 * done / total) if total else 100}
