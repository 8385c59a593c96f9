"""Reads of experiments: the history per chain, one experiment's variant rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from runner.models import Experiment, NodeResult, Promotion, Run, Variant

Status = NodeResult.Status
#: Columns a variant table sorts by (metrics sort by ``metric:<name>``).
SORTS = ("position", "label", "status", "seconds", "compute_seconds", "computed")


@dataclass
class VariantRow:
    """One variant as the page and the API show it."""

    variant: Variant
    status: str
    seconds: float | None
    compute_seconds: float
    computed: int
    reused: int
    total: int
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExperimentSummary:
    experiment: Experiment
    rows: list[VariantRow]
    promotions: list[Promotion]
    metric_names: list[str]

    @property
    def done(self) -> int:
        return sum(1 for r in self.rows if r.status not in Run.ACTIVE)

    @property
    def active(self) -> bool:
        return self.done < len(self.rows)

    @property
    def status(self) -> str:
        if self.active:
            return "running"
        failed = any(r.status != Run.Status.SUCCEEDED for r in self.rows)
        return "finished with failures" if failed else "succeeded"


def experiment_list(*, chain: str = "") -> QuerySet[Experiment]:
    """Experiments, newest first, with their variant counts (one query)."""
    experiments = Experiment.objects.select_related(
        "chain_version__chain", "created_by", "base_run"
    ).annotate(
        variant_total=Count("variants"),
        variant_active=Count(
            "variants", filter=Q(variants__run__status__in=Run.ACTIVE)
        ),
        variant_failed=Count(
            "variants",
            filter=Q(
                variants__run__status__in=(Run.Status.FAILED, Run.Status.CANCELLED)
            ),
        ),
    )
    if "\x00" in chain:
        return experiments.none()
    if chain:
        experiments = experiments.filter(chain_version__chain__name=chain)
    return experiments.order_by("-created", "-id")


def experiment_get(*, experiment_id: int) -> Experiment:
    return get_object_or_404(
        Experiment.objects.select_related(
            "chain_version__chain", "created_by", "base_run__dataset"
        ),
        id=experiment_id,
    )


def variant_get(*, experiment: Experiment, position: int) -> Variant:
    return get_object_or_404(
        Variant.objects.select_related("run", "experiment__chain_version__chain"),
        experiment=experiment,
        position=position,
    )


def experiment_summary(*, experiment: Experiment, sort: str = "") -> ExperimentSummary:
    """The variant rows (computed vs reused nodes counted in one query), sorted."""
    variants = (
        Variant.objects.filter(experiment=experiment)
        .select_related("run")
        .annotate(
            computed=Count("run__nodes", filter=Q(run__nodes__status=Status.SUCCEEDED)),
            reused=Count("run__nodes", filter=Q(run__nodes__status=Status.REUSED)),
            total=Count("run__nodes"),
            compute_seconds=Sum(
                "run__nodes__seconds", filter=Q(run__nodes__status=Status.SUCCEEDED)
            ),
        )
        .order_by("position")
    )
    rows = [_row(v) for v in variants]
    names = sorted({name for row in rows for name in row.metrics})
    promotions = list(
        Promotion.objects.filter(variant__experiment=experiment).select_related(
            "variant", "chain_version", "promoted_by"
        )
    )
    return ExperimentSummary(experiment, rows_sorted(rows, sort), promotions, names)


def _row(variant: Any) -> VariantRow:
    run = variant.run
    return VariantRow(
        variant=variant,
        status=run.status if run is not None else "gone",
        seconds=run.seconds if run is not None else None,
        compute_seconds=round(variant.compute_seconds or 0.0, 4),
        computed=variant.computed,
        reused=variant.reused,
        total=variant.total,
        metrics={**run_metrics(run), **(variant.metrics or {})},
    )


def run_metrics(run: Any) -> dict[str, Any]:
    """The scored run's metrics for the chain's output (else its last scored node).

    Empty while the run is not scored, or when its data set names no target.
    """
    evaluation = (run.evaluation if run is not None else None) or {}
    nodes = evaluation.get("nodes") or []
    chosen = next((n for n in nodes if n.get("output")), nodes[-1] if nodes else None)
    return dict(chosen.get("metrics") or {}) if chosen else {}


def rows_sorted(rows: list[VariantRow], sort: str) -> list[VariantRow]:
    """Sorted by ``sort`` (``-`` first: descending); missing values last."""
    descending = sort.startswith("-")
    name = sort.lstrip("-")

    def value(row: VariantRow) -> Any:
        if name.startswith("metric:"):
            return row.metrics.get(name.removeprefix("metric:"))
        if name == "label":
            return row.variant.label
        if name in SORTS and name != "position":
            return getattr(row, name)
        return row.variant.position

    present = [r for r in rows if value(r) is not None]
    missing = [r for r in rows if value(r) is None]
    present.sort(key=value, reverse=descending)
    return present + missing
