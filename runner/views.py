"""Pages of the runner app: run history, run page, comparison, data sets."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from builder.drawing import document_drawing
from builder.models import Chain
from config.exceptions import CatenaAppError
from runner import selectors
from runner.forms import CompareForm, DatasetUploadForm, RunFilterForm, RunStartForm
from runner.models import Dataset, Run
from runner.services import datasets as dataset_services
from runner.services import runs as run_services

RUNS_PER_PAGE = 25
CHART_WIDTH, CHART_HEIGHT = 180, 48


def _error_text(exc: Exception) -> str:
    if isinstance(exc, CatenaAppError):
        return exc.message
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)


def run_list(request: HttpRequest) -> HttpResponse:
    form = RunFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    runs = selectors.run_list(
        chain=filters.get("chain", ""),
        status=filters.get("status", ""),
        user=filters.get("user", ""),
    )
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "form": form,
        "chains": Chain.objects.order_by("name").values_list("name", flat=True),
        "query": query.urlencode(),
    }
    return render(request, "runner/run_list.html", context)


def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(run_id=run_id)
    nodes = selectors.run_nodes(run=run)
    marks = {n.node_id: n.status for n in nodes}
    drawing = document_drawing(run.chain_version.document, marks=marks)
    done = sum(1 for n in nodes if n.status in ("succeeded", "reused"))
    context = {
        "run": run,
        "nodes": [(n, _charts(n)) for n in nodes],
        "drawing": drawing,
        "done": done,
        "total": len(nodes),
        "percent": int(100 * done / len(nodes)) if nodes else 0,
        "can_change": run_services.run_can_change(run=run, user=request.user),
        "siblings": selectors.run_list(chain=run.chain_version.chain.name).exclude(
            id=run.id
        )[:10],
    }
    return render(request, "runner/run_detail.html", context)


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
    form = RunStartForm(request.POST)
    back = request.META.get("HTTP_REFERER") or reverse("runner:run_list")
    if not form.is_valid():
        for field, errors in form.errors.items():
            text = " ".join(str(e) for e in errors)
            messages.error(request, f"{field}: {text}")
        return redirect(back)
    data = form.cleaned_data
    try:
        run = run_services.run_start(
            chain_version=selectors.chain_version_pick(
                chain_name=data["chain"], number=data["version"]
            ),
            user=request.user,
            dataset=_dataset_or_none(data["dataset"]),
            rows=data["rows"],
            reuse_from=_run_or_none(data["reuse_from"]),
            until=data["until"] or "",
            reuse=not data["fresh"],
        )
    except (CatenaAppError, ValidationError, Http404) as exc:
        messages.error(request, f"The run did not start: {_error_text(exc)}")
        return redirect(back)
    return redirect(run.get_absolute_url())


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
            field = "name" if "name" in getattr(exc, "error_dict", {}) else "file"
            form.add_error(field, _error_text(exc))
        else:
            messages.success(request, f"Data set {dataset.name!r} uploaded.")
            return redirect(dataset.get_absolute_url())
    page = Paginator(selectors.dataset_list(), 50).get_page(request.GET.get("page"))
    status = 400 if form.errors else 200
    context = {"page": page, "form": form}
    return render(request, "runner/dataset_list.html", context, status=status)


def dataset_detail(request: HttpRequest, dataset_id: int) -> HttpResponse:
    dataset = selectors.dataset_get(dataset_id=dataset_id)
    runs = selectors.run_list(dataset=dataset.id)[:20]
    context = {"dataset": dataset, "runs": runs}
    return render(request, "runner/dataset_detail.html", context)
