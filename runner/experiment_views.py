"""Pages of experiments: the history per chain, one experiment, start, promote;
and continuing a run made up to a node."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from builder.models import Chain
from catena.metrics import lower_is_better
from config.exceptions import CatenaAppError
from runner import experiment_selectors as selectors
from runner.forms import ExperimentForm, PromoteForm
from runner.selectors import run_get
from runner.services import experiments as services
from runner.services.continuing import run_continue
from runner.views import _error_text

EXPERIMENTS_PER_PAGE = 25
_REFUSALS = (CatenaAppError, ValidationError, PermissionDenied, Http404)


def experiment_list(request: HttpRequest) -> HttpResponse:
    chain = request.GET.get("chain", "")[:200]
    experiments = selectors.experiment_list(chain=chain)
    page = Paginator(experiments, EXPERIMENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "chain": chain,
        "chains": Chain.objects.order_by("name").values_list("name", flat=True),
    }
    return render(request, "runner/experiment_list.html", context)


def experiment_detail(request: HttpRequest, experiment_id: int) -> HttpResponse:
    experiment = selectors.experiment_get(experiment_id=experiment_id)
    sort = request.GET.get("sort", "")[:100]
    summary = selectors.experiment_summary(experiment=experiment, sort=sort)
    base = experiment.base_run
    context = {
        "summary": summary,
        "experiment": experiment,
        "sort": sort,
        # Variants' runs on a labelled data set that are not scored yet: the
        # page waits for their metrics.
        "scoring": bool(base is not None and base.target)
        and any(r.status == "succeeded" and not r.metrics for r in summary.rows),
        # (sort key, name, whether the key sorts values descending): a metric
        # sorts best first, so R² and the like go from high to low.
        "columns": [
            *[(name, name, False) for name in selectors.SORTS],
            *[
                (f"metric:{name}", name, not lower_is_better(name))
                for name in summary.metric_names
            ],
        ],
    }
    return render(request, "runner/experiment_detail.html", context)


@require_POST
def experiment_start(request: HttpRequest) -> HttpResponse:
    form = ExperimentForm(request.POST)
    back = request.META.get("HTTP_REFERER") or "/runs/"
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(str(e) for e in errors)}")
        return redirect(back)
    data = form.cleaned_data
    try:
        experiment = services.experiment_start(
            user=request.user,
            base_run=run_get(run_id=data["run"]),
            node_id=data["node"],
            variants=data["variants"],
            title=data["title"],
        )
    except _REFUSALS as exc:
        messages.error(request, f"The experiment did not start: {_error_text(exc)}")
        return redirect(back)
    return redirect(experiment.get_absolute_url())


@require_POST
def experiment_promote(request: HttpRequest, experiment_id: int) -> HttpResponse:
    experiment = selectors.experiment_get(experiment_id=experiment_id)
    form = PromoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a variant and what to promote it to.")
        return redirect(experiment.get_absolute_url())
    data = form.cleaned_data
    try:
        variant = selectors.variant_get(experiment=experiment, position=data["variant"])
        promotion = services.experiment_promote(
            variant=variant, user=request.user, to=data["to"], alias=data["alias"]
        )
    except _REFUSALS as exc:
        messages.error(request, f"Not promoted: {_error_text(exc)}")
    else:
        if promotion.chain_version is not None:
            done = f"Saved as {promotion.chain_version}."
        else:
            alias, name = promotion.alias, promotion.model_name
            done = f"Moved @{alias} to {name} v{promotion.model_version}."
        messages.success(request, done)
    return redirect(experiment.get_absolute_url())


@require_POST
def run_continue_page(request: HttpRequest, run_id: int) -> HttpResponse:
    received_at = timezone.now()
    run = run_get(run_id=run_id)
    try:
        continued = run_continue(run=run, user=request.user, received_at=received_at)
    except _REFUSALS as exc:
        messages.error(request, f"Not continued: {_error_text(exc)}")
        return redirect(run.get_absolute_url())
    return redirect(continued.get_absolute_url())
