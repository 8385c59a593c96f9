"""Per-variant figures, computed from the prediction log.

The log is shared by every serving process, so the figures cover all of them.
A sampled entry stands for ``1 / rate`` requests: counts are estimates scaled
by each entry's own rate (a rate change midway keeps them right); latency
percentiles and shadow differences are read from the newest ``SAMPLE`` entries
of each variant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from django.db.models import (
    Avg,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    Sum,
    Value,
)
from django.utils import timezone

from builder.models import Chain
from serving.models import PredictionLog

SAMPLE = 10_000
BAR_WIDTH = 320


@dataclass(frozen=True)
class VariantStats:
    role: str
    variant: str
    logged: int
    requests: float
    failed: float
    p50_ms: float | None
    p99_ms: float | None
    diff_mean: float | None
    diff_share: float | None

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def variant_stats(*, chain: Chain, hours: int = 24) -> list[VariantStats]:
    """Each variant's requests, errors, latency p50/p99 and (shadows) difference."""
    since = timezone.now() - timedelta(hours=hours)
    entries = PredictionLog.objects.filter(chain=chain, created__gte=since)
    weight = ExpressionWrapper(Value(1.0) / F("rate"), output_field=FloatField())
    groups = (
        entries.values("role", "variant")
        .annotate(
            logged=Count("id"),
            requests=Sum(weight),
            failed=Sum(weight, filter=Q(status__gte=400)),
            diff_mean=Avg("diff_mean"),
            diff_share=Avg("diff_share"),
        )
        .order_by("role", "variant")
    )
    return [_figures(entries, g) for g in groups]


def _figures(entries: Any, group: dict[str, Any]) -> VariantStats:
    latencies = list(
        entries.filter(role=group["role"], variant=group["variant"], status__lt=400)
        .order_by("-created")
        .values_list("latency_ms", flat=True)[:SAMPLE]
    )
    p50 = p99 = None
    if latencies:
        p50, p99 = (float(v) for v in np.percentile(latencies, [50, 99]))
    return VariantStats(
        role=group["role"],
        variant=group["variant"],
        logged=group["logged"],
        requests=round(float(group["requests"] or 0), 1),
        failed=round(float(group["failed"] or 0), 1),
        p50_ms=p50,
        p99_ms=p99,
        diff_mean=group["diff_mean"],
        diff_share=group["diff_share"],
    )


def latency_bars(stats: list[VariantStats]) -> list[dict[str, Any]]:
    """Horizontal bars of p50 and p99 per variant, on one scale (for the page)."""
    top = max((s.p99_ms or 0.0 for s in stats), default=0.0) or 1.0
    return [
        {
            "y": 20 * i,
            "label": f"{s.variant} ({s.role})",
            "p50": s.p50_ms,
            "p99": s.p99_ms,
            "w50": round(BAR_WIDTH * (s.p50_ms or 0.0) / top, 1),
            "w99": round(BAR_WIDTH * (s.p99_ms or 0.0) / top, 1),
        }
        for i, s in enumerate(stats)
    ]
