"""Pages of serving: the settings forms of the chain page, the log, the variants."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from builder.selectors import chain_get
from config.exceptions import CatenaAppError
from serving import logbook, setup, stats
from serving.forms import log_form_read, variants_form_read
from serving.models import PredictionLog

ENTRIES_PER_PAGE = 50
WINDOWS = (1, 24, 24 * 7, 24 * 30)


def serving_settings(request: HttpRequest, name: str) -> HttpResponse:
    """Change the log settings or the variants from the chain page's forms."""
    chain = chain_get(name=name)
    if request.method == "POST":
        try:
            if request.POST.get("part") == "log":
                log = log_form_read(request.POST)
                setup.serving_set(chain=chain, user=request.user, log=log)
            else:
                variants = variants_form_read(request.POST)
                setup.serving_set(chain=chain, user=request.user, variants=variants)
        except CatenaAppError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Serving settings saved.")
    return redirect(chain.get_absolute_url() + "#serving")


def prediction_log(request: HttpRequest, name: str) -> HttpResponse:
    chain = chain_get(name=name)
    _allowed(chain, request)
    variant = request.GET.get("variant", "")[:20]
    role = request.GET.get("role", "")
    role = role if role in PredictionLog.Role.values else ""
    entries = logbook.log_entries(chain=chain, variant=variant, role=role)
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "chain": chain,
        "page": page,
        "variant": variant,
        "role": role,
        "settings": setup.setup_get(chain_name=chain.name),
        "query": _query(variant, role),
    }
    return render(request, "serving/prediction_log.html", context)


def _allowed(chain: Any, request: HttpRequest) -> None:
    try:
        setup.serving_check(chain=chain, user=request.user)
    except CatenaAppError as exc:
        raise PermissionDenied(exc.message) from None


def _query(variant: str, role: str) -> str:
    return urlencode({k: v for k, v in (("variant", variant), ("role", role)) if v})


def chain_variants(request: HttpRequest, name: str) -> HttpResponse:
    """Per variant: requests, errors, latency p50/p99, shadows' difference."""
    chain = chain_get(name=name)
    _allowed(chain, request)
    hours = request.GET.get("hours", "24")
    hours_n = int(hours) if hours.isdigit() and int(hours) in WINDOWS else 24
    figures = stats.variant_stats(chain=chain, hours=hours_n)
    context = {
        "chain": chain,
        "settings": setup.setup_get(chain_name=chain.name),
        "figures": figures,
        "bars": stats.latency_bars(figures),
        "bar_width": stats.BAR_WIDTH,
        "chart_height": 20 * len(figures),
        "hours": hours_n,
        "windows": WINDOWS,
        "changes": setup.serving_changes(chain=chain),
    }
    return render(request, "serving/chain_variants.html", context)
