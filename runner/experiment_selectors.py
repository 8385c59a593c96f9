"""Reads of experiments: the history per chain, one experiment's variant rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from catena.metrics import lower_is_better
from runner.evaluation_charts import metric_bars
from runner.models import Artifact, Experiment, NodeResult, Promotion, Run, Variant

Status = NodeResult.Status
#: Columns a variant table sorts by (metrics sort by ``metric:<name>``).
SORTS = ("position", "label", "status", "seconds", "compute_seconds", "computed")
#: The side-by-side sample: this many rows (from the stored previews), at most
#: this many output columns per variant and this many input columns.
SAMPLE_ROWS = 5
SAMPLE_COLUMNS = 4
SAMPLE_INPUTS = 3


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
    sample: Sample

    @cached_property
    def charts(self) -> list[dict[str, Any]]:
        """One bar chart per metric, the variants best first."""
        return metric_bars(
            (r.variant.position, r.variant.label, r.metrics)
            for r in sorted(self.rows, key=lambda r: r.variant.position)
        )

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
    sample = experiment_sample(experiment=experiment, rows=rows)
    return ExperimentSummary(
        experiment, rows_sorted(rows, sort), promotions, names, sample
    )


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
    """Sorted by ``sort`` (``-`` first: descending); missing values last.

    A metric (``metric:<name>``) sorts best first: ascending for an error or a
    loss, descending for R², accuracy, ...; ``-metric:<name>`` worst first.
    """
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name.startswith("metric:") and not lower_is_better(name.removeprefix("metric:")):
        descending = not descending

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


@dataclass
class SampleColumn:
    """One column of the sample: a variant's output column."""

    variant: int
    label: str
    column: str


@dataclass
class SampleRow:
    id: Any
    inputs: list[Any]
    target: Any
    values: list[Any]


@dataclass
class Sample:
    """The first rows of every succeeded variant's output, side by side.

    Read from the previews stored with each output (its first rows), never
    from the tables themselves.
    """

    node: str
    inputs: list[str]
    target: str
    columns: list[SampleColumn]
    rows: list[SampleRow]
    #: Variants with more output columns than shown.
    cut: list[int] = field(default_factory=list)


def sample_node(experiment: Experiment) -> str:
    """The node the sample shows: the chain's output (the node that is scored),
    else the experiment's node when the chain names no output."""
    nodes = (experiment.chain_version.document or {}).get("nodes") or []
    outputs = [str(n.get("id")) for n in nodes if n.get("kind") == "output"]
    return outputs[0] if outputs else experiment.node_id


def experiment_sample(
    *, experiment: Experiment, rows: list[VariantRow], count: int = SAMPLE_ROWS
) -> Sample:
    """The first ``count`` rows of the sample node's output for every succeeded
    variant (in variant order), with the row id, a few input columns and the
    target (two queries, whatever the number of variants)."""
    node_id = sample_node(experiment)
    succeeded = sorted(
        (r for r in rows if r.status == Run.Status.SUCCEEDED),
        key=lambda r: r.variant.position,
    )
    run_ids = [r.variant.run_id for r in succeeded if r.variant.run_id is not None]
    if not run_ids:
        return Sample(node_id, [], "", [], [])
    previews = dict(
        NodeResult.objects.filter(
            run_id__in=run_ids, node_id=node_id, artifact__isnull=False
        ).values_list("run_id", "artifact__preview")
    )
    target = ""
    source: dict[str, Any] = {}
    base = experiment.base_run
    if base is not None and previews:
        target = base.target
        found = Artifact.objects.filter(id=base.input_id).values_list(
            "preview", flat=True
        )
        source = found.first() or {}
    inputs = [c for c in source.get("columns", []) if c != target][:SAMPLE_INPUTS]
    by_id = _preview_by_id(source)

    columns: list[SampleColumn] = []
    outputs: list[tuple[dict[Any, dict[str, Any]], list[str]]] = []
    cut: list[int] = []
    ids: list[Any] = []
    for row in succeeded:
        preview = previews.get(row.variant.run_id or 0)
        if not preview:
            continue
        names = [str(c) for c in preview.get("columns", [])]
        if len(names) > SAMPLE_COLUMNS:
            cut.append(row.variant.position)
        names = names[:SAMPLE_COLUMNS]
        position, label = row.variant.position, row.variant.label
        columns += [SampleColumn(position, label, name) for name in names]
        outputs.append((_preview_by_id(preview), names))
        if not ids:
            ids = list(preview.get("index") or range(len(preview.get("rows", []))))
            ids = ids[:count]

    sample_rows = []
    for row_id in ids:
        given = by_id.get(_hashable(row_id), {})
        values = [
            cells.get(_hashable(row_id), {}).get(name)
            for cells, names in outputs
            for name in names
        ]
        sample_rows.append(
            SampleRow(
                id=row_id,
                inputs=[given.get(name) for name in inputs],
                target=given.get(target) if target else None,
                values=values,
            )
        )
    return Sample(node_id, inputs, target, columns, sample_rows, cut)


def _preview_by_id(preview: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    """A stored preview as row id -> column -> cell."""
    names = [str(c) for c in preview.get("columns", [])]
    rows = preview.get("rows", [])
    index = preview.get("index") or list(range(len(rows)))
    return {
        _hashable(i): dict(zip(names, cells, strict=False))
        for i, cells in zip(index, rows, strict=False)
    }


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | None) else str(value)
