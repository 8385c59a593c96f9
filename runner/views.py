"""Pages of the runner app: run history, run page, comparison, data sets."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from builder.drawing import document_drawing
from builder.models import Chain
from catena.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from config.exceptions import CatenaAppError
from runner import selectors
from runner.curves import optimize_curves
from runner.evaluation_charts import evaluation_chart
from runner.forms import (
    CompareForm,
    DatasetFilterForm,
    DatasetTargetForm,
    DatasetUploadForm,
    RunFilterForm,
    RunStartForm,
)
from runner.models import Dataset, Run
from runner.services import datasets as dataset_services
from runner.services import plans, submissions
from runner.services import runs as run_services

RUNS_PER_PAGE = 25
_ENDS = ("input", "output")
CHART_WIDTH, CHART_HEIGHT = 180, 48


def _error_text(exc: Exception) -> str:
    if isinstance(exc, CatenaAppError):
        return exc.message
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)


def _filtered(form: Any, select: Any, empty: Any) -> Any:
    """The selector's rows for valid filters; none (and the form's errors) else."""
    if not form.is_bound:
        return select()
    if form.is_valid():
        return select(**form.cleaned_data)
    return empty


def _described(form: Any) -> str:
    """The given filters in words: 'owner “ann”, sha256 “3fa1”'."""
    if not form.is_bound:
        return ""
    given = [(name, form.data.get(name, "")) for name in form.fields]
    return ", ".join(f"{name} “{value}”" for name, value in given if value)


def _query(request: HttpRequest) -> str:
    """The filters as given, without the page number, for page links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def run_list(request: HttpRequest) -> HttpResponse:
    form = RunFilterForm(request.GET or None)
    runs = _filtered(form, selectors.run_list, Run.objects.none())
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    dataset = form.cleaned_data.get("dataset") if form.is_bound else None
    context = {
        "page": page,
        "form": form,
        "chains": Chain.objects.order_by("name").values_list("name", flat=True),
        "query": _query(request),
        "described": _described(form),
        "dataset": Dataset.objects.filter(id=dataset).first() if dataset else None,
    }
    return render(request, "runner/run_list.html", context)


def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(run_id=run_id)
    nodes = selectors.run_nodes(run=run)
    marks = {n.node_id: n.status for n in nodes}
    document = run.document or run.chain_version.document
    drawing = document_drawing(document, marks=marks)
    done = sum(1 for n in nodes if n.status in ("succeeded", "reused"))
    steps = {n["id"] for n in document["nodes"] if n["kind"] not in _ENDS}
    chosen = _experiment_node(request, run, steps, {n.node_id for n in nodes})
    context = {
        "run": run,
        "nodes": [(n, _charts(n), _curves(n)) for n in nodes],
        "drawing": drawing,
        "done": done,
        "total": len(nodes),
        "percent": int(100 * done / len(nodes)) if nodes else 0,
        "evaluation": _evaluation(run),
        "can_change": run_services.run_can_change(run=run, user=request.user),
        "siblings": selectors.run_list(chain=run.chain_version.chain.name).exclude(
            id=run.id
        )[:10],
        "links": selectors.run_links(run=run),
        "steps": steps,
        "experiment_node": chosen,
    }
    return render(request, "runner/run_detail.html", context)


def _experiment_node(
    request: HttpRequest, run: Run, steps: set[str], ran: set[str]
) -> str:
    """The node whose variants form opens (``?experiment_node=``, as the editor's
    "Try variants" links); a node that cannot take variants here is said so."""
    node_id = request.GET.get("experiment_node", "")[:64]
    if not node_id:
        return ""
    if node_id not in steps or node_id not in ran:
        messages.warning(
            request,
            f"Run #{run.id} has no step {node_id!r} to try variants of: pick a run "
            "that computed it (or run up to it first).",
        )
        return ""
    if run.is_active:
        messages.info(
            request,
            f"Run #{run.id} is still running: the variants form of {node_id!r} "
            "opens once it has finished.",
        )
        return ""
    return node_id


def _evaluation(run: Run) -> dict[str, Any] | None:
    found = selectors.run_evaluation(run)
    if found is None:
        return None
    names = (
        REGRESSION_METRICS if found["task"] == "regression" else CLASSIFICATION_METRICS
    )
    shown = [m for m in names if any(m in n["metrics"] for n in found["nodes"])]
    rows = [(n, [n["metrics"].get(m) for m in shown]) for n in found["nodes"]]
    chart = evaluation_chart(found["chart"])
    return {**found, "metric_names": shown, "metric_rows": rows, "drawn": chart}


def _curves(node: Any) -> list[dict[str, Any]]:
    if node.kind != "optimize" or node.artifact is None:
        return []
    return optimize_curves(node.artifact.preview)


def _charts(node: Any) -> list[dict[str, Any]]:
    """One small histogram per numeric column, as SVG bar rectangles."""
    if node.artifact is None:
        return []
    charts = []
    for column, stat in node.artifact.stats.items():
        counts = stat["counts"]
        peak = max(counts) or 1
        width = CHART_WIDTH / len(counts)
        bars = [
            {
                "x": round(i * width, 1),
                "w": round(width - 1, 1),
                "h": round(CHART_HEIGHT * c / peak, 1),
                "y": round(CHART_HEIGHT - CHART_HEIGHT * c / peak, 1),
                "count": c,
            }
            for i, c in enumerate(counts)
        ]
        charts.append({"column": column, "stat": stat, "bars": bars})
    return charts


@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    received_at = timezone.now()
    form = RunStartForm(request.POST)
    back = request.META.get("HTTP_REFERER") or reverse("runner:run_list")
    if not form.is_valid():
        for field, errors in form.errors.items():
            text = " ".join(str(e) for e in errors)
            messages.error(request, f"{field}: {text}")
        return redirect(back)
    data = form.cleaned_data
    try:
        done = submissions.run_submit(
            chain_version=plans.chain_version_pick(
                chain_name=data["chain"], number=data["version"]
            ),
            user=request.user,
            dataset=_dataset_or_none(data["dataset"]),
            rows=data["rows"],
            reuse_from=_run_or_none(data["reuse_from"]),
            until=data["until"] or "",
            reuse=not data["fresh"],
            received_at=received_at,
        )
    except (CatenaAppError, ValidationError, Http404) as exc:
        messages.error(request, f"The run did not start: {_error_text(exc)}")
        return redirect(back)
    if done.unsent:
        messages.warning(
            request,
            "Queued; the task broker is unreachable, the run starts when it is back.",
        )
    return redirect(done.run.get_absolute_url())


def _dataset_or_none(dataset_id: int | None) -> Dataset | None:
    return None if dataset_id is None else selectors.dataset_get(dataset_id=dataset_id)


def _run_or_none(run_id: int | None) -> Run | None:
    return None if run_id is None else selectors.run_get(run_id=run_id)


def _run_action(
    request: HttpRequest, run_id: int, action: Any, done: str
) -> HttpResponse:
    run = selectors.run_get(run_id=run_id)
    try:
        action(run=run, user=request.user)
    except (CatenaAppError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, done)
    return redirect(run.get_absolute_url())


@require_POST
def run_cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    return _run_action(request, run_id, run_services.run_cancel, "Run cancelled.")


@require_POST
def run_retry(request: HttpRequest, run_id: int) -> HttpResponse:
    message = "Retrying the failed nodes and what depends on them."
    return _run_action(request, run_id, run_services.run_retry, message)


@require_POST
def node_forget(request: HttpRequest, run_id: int, node_id: str) -> HttpResponse:
    run = selectors.run_get(run_id=run_id)
    node = selectors.node_result_get(run=run, node_id=node_id)
    try:
        keys = run_services.node_output_forget(node_result=node, user=request.user)
    except (CatenaAppError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request, f"Forgot {len(keys)} stored output(s); the next run computes them."
        )
    return redirect(run.get_absolute_url())


def run_compare(request: HttpRequest) -> HttpResponse:
    form = CompareForm(request.GET or None)
    if not form.is_valid():
        raise Http404("Choose two runs to compare.")
    left = selectors.run_get(run_id=form.cleaned_data["a"])
    right = selectors.run_get(run_id=form.cleaned_data["b"])
    try:
        rows = selectors.runs_compare(left=left, right=right)
    except CatenaAppError as exc:
        messages.error(request, exc.message)
        return redirect(left.get_absolute_url())
    context = {"left": left, "right": right, "rows": rows}
    return render(request, "runner/run_compare.html", context)


def dataset_list(request: HttpRequest) -> HttpResponse:
    form = DatasetUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            dataset = dataset_services.dataset_create(
                owner=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            given = getattr(exc, "error_dict", {})
            field = next((f for f in ("name", "target") if f in given), "file")
            form.add_error(field, _error_text(exc))
        else:
            messages.success(request, _uploaded_text(dataset))
            return redirect(dataset.get_absolute_url())
    filters = DatasetFilterForm(request.GET or None)
    datasets = _filtered(filters, selectors.dataset_list, Dataset.objects.none())
    page = Paginator(datasets, 50).get_page(request.GET.get("page"))
    status = 400 if form.errors else 200
    context = {
        "page": page,
        "form": form,
        "filters": filters,
        "query": _query(request),
        "described": _described(filters),
    }
    return render(request, "runner/dataset_list.html", context, status=status)


def _uploaded_text(dataset: Dataset) -> str:
    same = selectors.dataset_same_content(dataset=dataset)
    if not same:
        return f"Data set {dataset.name!r} uploaded."
    first = same[0]
    return (
        f"Data set {dataset.name!r} uploaded. It has the same content as data set "
        f"{first.name!r} (#{first.id}) of {first.owner.username}."
    )


def dataset_detail(request: HttpRequest, dataset_id: int) -> HttpResponse:
    dataset = selectors.dataset_get(dataset_id=dataset_id)
    runs = selectors.run_list(dataset=dataset.id)[:20]
    context = {
        "dataset": dataset,
        "runs": runs,
        "same": selectors.dataset_same_content(dataset=dataset),
        "target_form": DatasetTargetForm(initial={"target": dataset.target}),
    }
    return render(request, "runner/dataset_detail.html", context)


@require_POST
def dataset_target(request: HttpRequest, dataset_id: int) -> HttpResponse:
    dataset = selectors.dataset_get(dataset_id=dataset_id)
    form = DatasetTargetForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a column name of at most 200 characters.")
        return redirect(dataset.get_absolute_url())
    try:
        dataset_services.dataset_target_set(
            dataset=dataset, target=form.cleaned_data["target"], user=request.user
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _target_text(dataset.target))
    return redirect(dataset.get_absolute_url())


def _target_text(target: str) -> str:
    if not target:
        return "The data set has no target now: runs on it are not scored."
    return f"Target column {target!r}: runs on this data set are scored against it."
