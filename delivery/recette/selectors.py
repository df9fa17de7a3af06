"""Reads of the recette: progress of a run, the PV decision, feedback cycles.

`pv_decide` is a pure function so the decision table (R15) is tested on its own;
`pv_compute` feeds it from the database with a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db.models import Count, Prefetch, Q, QuerySet

from delivery.models import ChangeRequest, HistoryEntry, HistoryKind
from delivery.recette.models import (
    UNRESOLVED,
    Anomaly,
    Decision,
    PVVersion,
    RecetteCase,
    RecetteRun,
    ResultStatus,
    RunKind,
    RunResult,
    Severity,
)
from projects.models import CategoryPolicy
from projects.vocabulary import PIPELINE, Stage

HUNDRED = Decimal(100)


def _prefetched(delivery, name: str) -> list | None:
    """The related rows when a page prefetched them (see GATE_PREFETCH), else None."""
    cache = getattr(delivery, "_prefetched_objects_cache", {})
    return list(cache[name]) if name in cache else None


def current_pv(delivery) -> PVVersion | None:
    """The latest PV version of the delivery (what the client signs, what go-live needs)."""
    versions = _prefetched(delivery, "pv_versions")
    if versions is not None:
        return max(versions, key=lambda v: v.number, default=None)
    return PVVersion.objects.filter(delivery=delivery).order_by("-number").first()


def client_visible_anomalies(delivery) -> QuerySet[Anomaly]:
    """Only what the agency chose to show: internal anomalies never reach the client (R13)."""
    return (
        Anomaly.objects.filter(delivery=delivery, client_visible=True)
        .select_related("case")
        .order_by("-created_at", "-id")
    )


def blocking_unresolved_count(delivery) -> int:
    anomalies = _prefetched(delivery, "anomalies")
    if anomalies is not None:
        return sum(1 for a in anomalies if a.severity == Severity.BLOCKING and a.status in UNRESOLVED)
    return Anomaly.objects.filter(delivery=delivery, severity=Severity.BLOCKING, status__in=UNRESOLVED).count()


def internal_runs_executed(delivery) -> tuple[bool, bool]:
    """(an internal run exists, one of them has an executed case)."""
    runs = _prefetched(delivery, "recette_runs")
    if runs is not None:
        internal = [r for r in runs if r.kind == RunKind.INTERNAL]
        return bool(internal), any(r.n_executed for r in internal)
    executed = RunResult.objects.filter(run__delivery=delivery, run__kind=RunKind.INTERNAL).exclude(
        status=ResultStatus.NOT_RUN
    )
    if executed.exists():
        return True, True
    return RecetteRun.objects.filter(delivery=delivery, kind=RunKind.INTERNAL).exists(), False


def gate_prefetch() -> list[Prefetch]:
    """What the recette gates read, for pages that evaluate many deliveries' gates (the board)."""
    return [
        Prefetch(
            "recette_runs",
            queryset=RecetteRun.objects.annotate(
                n_executed=Count("results", filter=~Q(results__status=ResultStatus.NOT_RUN))
            ),
        ),
        Prefetch("anomalies", queryset=Anomaly.objects.only("id", "delivery_id", "severity", "status")),
        Prefetch(
            "pv_versions",
            queryset=PVVersion.objects.only("id", "delivery_id", "number", "decision", "created_at"),
        ),
    ]


def unresolved_anomalies(delivery) -> QuerySet[Anomaly]:
    """The known-issues list: anomalies not verified nor documented as won't fix."""
    return Anomaly.objects.filter(delivery=delivery, status__in=UNRESOLVED).select_related("case", "run")


def latest_run(delivery, kind: str) -> RecetteRun | None:
    return RecetteRun.objects.filter(delivery=delivery, kind=kind).order_by("-started_at", "-id").first()


def pv_kind(delivery) -> str:
    """Before the client delivery the PV reflects the internal recette, from then on the client UAT."""
    if delivery.stage in PIPELINE and PIPELINE.index(delivery.stage) >= PIPELINE.index(Stage.DELIVERY):
        return RunKind.CLIENT
    return RunKind.INTERNAL


def runs_with_progress(delivery) -> list[RecetteRun]:
    """Every run of the delivery with its counts, in one query (plus one for the cahier size)."""
    total = RecetteCase.objects.filter(delivery=delivery).count()
    runs = list(
        RecetteRun.objects.filter(delivery=delivery)
        .select_related("started_by")
        .annotate(
            n_passed=Count("results", filter=Q(results__status=ResultStatus.PASSED)),
            n_failed=Count("results", filter=Q(results__status=ResultStatus.FAILED)),
            n_blocked=Count("results", filter=Q(results__status=ResultStatus.BLOCKED)),
        )
    )
    for run in runs:
        run.progress = Progress(
            total=total, passed=run.n_passed, failed=run.n_failed, blocked=run.n_blocked
        )
    return runs


@dataclass(frozen=True)
class Progress:
    total: int
    passed: int
    failed: int
    blocked: int

    @property
    def executed(self) -> int:
        return self.passed + self.failed + self.blocked

    @property
    def not_run(self) -> int:
        return self.total - self.executed

    @property
    def ok_rate(self) -> Decimal:
        """Exact rate; "not run" counts as not OK (R15)."""
        if self.total == 0:
            return Decimal(0)
        return Decimal(self.passed) * HUNDRED / Decimal(self.total)

    @property
    def ok_rate_display(self) -> Decimal:
        # Rounded down so a rate just under the threshold never displays as the threshold.
        return self.ok_rate.quantize(Decimal("0.1"), rounding=ROUND_DOWN)

    @property
    def executed_percent(self) -> int:
        return int(self.executed * 100 / self.total) if self.total else 0

    @property
    def passed_percent(self) -> int:
        return int(self.passed * 100 / self.total) if self.total else 0


def run_progress(run: RecetteRun) -> Progress:
    total = RecetteCase.objects.filter(delivery_id=run.delivery_id).count()
    counts = dict(
        RunResult.objects.filter(run=run, case__delivery_id=run.delivery_id)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return Progress(
        total=total,
        passed=counts.get(ResultStatus.PASSED, 0),
        failed=counts.get(ResultStatus.FAILED, 0),
        blocked=counts.get(ResultStatus.BLOCKED, 0),
    )


def pv_decide(
    *, progress: Progress, has_run: bool, blocking: int, reserves: int, threshold: Decimal, max_blocking: int
) -> tuple[str, list[str]]:
    """R15: GO when the OK rate reaches the threshold and blocking anomalies stay within
    the tolerance; GO avec réserves when other anomalies remain open; NO-GO otherwise."""
    reasons: list[str] = []
    if progress.total == 0:
        reasons.append("Le cahier de recette ne contient aucun cas de test.")
    elif not has_run:
        reasons.append("Aucune campagne de recette n'a été exécutée.")
    elif progress.ok_rate < threshold:
        reasons.append(
            f"Taux de cas OK de {fr_percent(progress.ok_rate_display)} inférieur au minimum de {fr_percent(threshold)}"
            f" ({progress.passed} cas OK sur {progress.total})."
        )
    if blocking > max_blocking:
        tolerated = "aucune tolérée" if max_blocking == 0 else f"{max_blocking} tolérée(s)"
        reasons.append(
            f"{blocking} anomalie{'s' if blocking > 1 else ''} bloquante{'s' if blocking > 1 else ''}"
            f" non résolue{'s' if blocking > 1 else ''} ({tolerated})."
        )
    if reasons:
        return Decision.NO_GO, reasons
    if reserves:
        return Decision.GO_WITH_RESERVES, []
    return Decision.GO, []


def fr_percent(value: Decimal) -> str:
    """94.9 -> "94,9 %", 95.00 -> "95 %" (rounded down, like every rate we display)."""
    text = format(value.quantize(Decimal("0.1"), rounding=ROUND_DOWN), "f")
    if text.endswith(".0"):
        text = text[:-2]
    return text.replace(".", ",") + "\u00a0%"


@dataclass
class PVSummary:
    delivery: object
    kind: str
    run: RecetteRun | None
    progress: Progress
    threshold: Decimal
    max_blocking: int
    blocking: list[Anomaly]
    reserves: list[Anomaly]
    decision: str
    reasons: list[str]
    rows: list[tuple[RecetteCase, RunResult | None]] = field(default_factory=list)

    @property
    def decision_label(self) -> str:
        return Decision(self.decision).label

    @property
    def is_go(self) -> bool:
        return self.decision != Decision.NO_GO


def pv_compute(delivery, *, kind: str | None = None, with_rows: bool = True) -> PVSummary:
    """The PV as it would be generated now, from the latest run of the stage."""
    kind = kind or pv_kind(delivery)
    policy = CategoryPolicy.for_category(delivery.category)
    run = latest_run(delivery, kind)
    cases = list(RecetteCase.objects.filter(delivery=delivery).select_related("module").order_by("reference", "id"))
    results: dict[int, RunResult] = {}
    if run is not None:
        results = {r.case_id: r for r in RunResult.objects.filter(run=run).select_related("tester")}
    counts = {s: 0 for s in ResultStatus.values}
    for case in cases:
        result = results.get(case.pk)
        counts[result.status if result else ResultStatus.NOT_RUN] += 1
    progress = Progress(
        total=len(cases),
        passed=counts[ResultStatus.PASSED],
        failed=counts[ResultStatus.FAILED],
        blocked=counts[ResultStatus.BLOCKED],
    )
    open_anomalies = list(unresolved_anomalies(delivery).order_by("number"))
    blocking = [a for a in open_anomalies if a.severity == Severity.BLOCKING]
    decision, reasons = pv_decide(
        progress=progress,
        has_run=run is not None,
        blocking=len(blocking),
        reserves=len(open_anomalies),
        threshold=policy.pv_min_ok_rate,
        max_blocking=policy.pv_max_blocking,
    )
    return PVSummary(
        delivery=delivery,
        kind=kind,
        run=run,
        progress=progress,
        threshold=policy.pv_min_ok_rate,
        max_blocking=policy.pv_max_blocking,
        blocking=blocking,
        # A GO keeps every anomaly still open as a reserve the client accepts knowingly.
        reserves=open_anomalies if decision != Decision.NO_GO else [],
        decision=decision,
        reasons=reasons,
        rows=[(case, results.get(case.pk)) for case in cases] if with_rows else [],
    )


# --- feedback cycles (R6) -------------------------------------------------------------------

R6 = "R6"


@dataclass(frozen=True)
class FeedbackCycles:
    used: int
    cap: int
    change_requests: int
    waivers: int

    @property
    def allowed(self) -> int:
        """Each accepted change request or R6 exception pays for one more cycle."""
        return self.cap + self.change_requests + self.waivers

    @property
    def remaining(self) -> int:
        return max(self.allowed - self.used, 0)

    @property
    def next_waiver_code(self) -> str:
        # One code per exception so that one documented exception lifts one cycle only:
        # the gate core lifts a blocker whenever a waiver with its code exists.
        return R6 if self.waivers == 0 else f"{R6}-{self.waivers + 1}"


def is_r6_code(code: str) -> bool:
    return code == R6 or code.startswith(f"{R6}-")


def feedback_cycles(delivery) -> FeedbackCycles:
    used = HistoryEntry.objects.filter(
        delivery=delivery, kind=HistoryKind.TRANSITION, data__transition="open_feedback_cycle"
    ).count()
    accepted = ChangeRequest.objects.filter(delivery=delivery, status=ChangeRequest.Status.ACCEPTED).count()
    waivers = sum(1 for w in delivery.rule_waivers.all() if is_r6_code(w.code))
    cap = CategoryPolicy.for_category(delivery.category).max_feedback_cycles
    return FeedbackCycles(used=used, cap=cap, change_requests=accepted, waivers=waivers)
