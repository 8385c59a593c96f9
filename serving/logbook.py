"""The prediction log: a sampled, compact row per answer; pruned after N days.

An entry keeps at most ``CATENA_SERVE_LOG_ROWS`` rows of inputs and outputs and
at most ``MAX_BYTES`` of their JSON, so a logged request costs one small INSERT
whatever its size.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from builder.models import Chain
from serving.models import ChainServing, PredictionLog
from serving.variants import rng

#: The largest JSON of inputs (and of outputs) kept in one entry.
MAX_BYTES = 32_000
#: Entries deleted per statement, and statements per chain and prune (the next
#: prune takes the rest): short transactions that never hold the table long.
PRUNE_BATCH = 5_000
PRUNE_ROUNDS = 20


@dataclass
class Entry:
    """One answer to log; ``request`` ties a shadow to the served answer."""

    chain_id: int
    request: uuid.UUID
    role: str
    variant: str
    version: int | None
    rate: float
    latency_ms: float = 0.0
    status: int = 200
    rows: int = 0
    inputs: Any = None
    outputs: Any = None
    used_models: Any = None
    error: str = ""
    diff_mean: float | None = None
    diff_share: float | None = None


def sampled(rate: float) -> bool:
    """Whether this request is logged, at ``rate`` (0 < rate <= 1)."""
    return rate >= 1.0 or rng.random() < rate


def capped(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first rows, fewer while their JSON is longer than ``MAX_BYTES``."""
    kept = records[: max(int(settings.CATENA_SERVE_LOG_ROWS), 0)]
    while kept and len(json.dumps(kept, default=str)) > MAX_BYTES:
        kept = kept[: len(kept) // 2]
    return kept


def head(table: pd.DataFrame | None) -> pd.DataFrame | None:
    """The rows of a table that could be logged (before turning them into JSON)."""
    if table is None:
        return None
    return table.head(max(int(settings.CATENA_SERVE_LOG_ROWS), 0))


def entry_write(*, entry: Entry) -> PredictionLog:
    """Insert one entry (the only write of a logged prediction)."""
    return PredictionLog.objects.create(
        chain_id=entry.chain_id,
        request=entry.request,
        role=entry.role,
        variant=entry.variant,
        version=entry.version,
        status=entry.status,
        latency_ms=entry.latency_ms,
        rate=entry.rate,
        rows=entry.rows,
        inputs=entry.inputs or [],
        outputs=entry.outputs or [],
        used_models=entry.used_models or [],
        error=entry.error[:500],
        diff_mean=entry.diff_mean,
        diff_share=entry.diff_share,
    )


def log_prune() -> dict[str, int]:
    """Delete every chain's entries older than its kept days (celery beat).

    Only chains with serving settings have entries (logging needs them on).
    """
    now = timezone.now()
    deleted = 0
    for chain_id, days in ChainServing.objects.values_list("chain_id", "log_days"):
        old = PredictionLog.objects.filter(
            chain_id=chain_id, created__lt=now - timedelta(days=days)
        )
        for _ in range(PRUNE_ROUNDS):
            ids = list(old.values_list("id", flat=True)[:PRUNE_BATCH])
            deleted += PredictionLog.objects.filter(id__in=ids).delete()[0]
            if len(ids) < PRUNE_BATCH:
                break
    return {"deleted": deleted}


def log_entries(*, chain: Chain, variant: str = "", role: str = "") -> QuerySet[Any]:
    """A chain's entries, newest first, optionally of one variant or role."""
    entries = PredictionLog.objects.filter(chain=chain)
    if variant:
        entries = entries.filter(variant=variant)
    if role:
        entries = entries.filter(role=role)
    return entries.order_by("-created", "-id")


CSV_COLUMNS = [
    "created",
    "request",
    "role",
    "variant",
    "version",
    "status",
    "latency_ms",
    "rows",
    "sampling_rate",
    "models",
    "inputs",
    "outputs",
    "error",
    "diff_mean",
    "diff_share",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def log_csv(*, entries: QuerySet[Any]) -> Iterator[str]:
    """The entries as CSV lines, read from the database in chunks."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for e in entries.iterator(chunk_size=500):
        yield writer.writerow(
            [
                e.created.isoformat(),
                e.request,
                e.role,
                e.variant,
                "" if e.version is None else e.version,
                e.status,
                round(e.latency_ms, 3),
                e.rows,
                e.rate,
                json.dumps(e.used_models),
                json.dumps(e.inputs),
                json.dumps(e.outputs),
                _cell(e.error),
                "" if e.diff_mean is None else e.diff_mean,
                "" if e.diff_share is None else e.diff_share,
            ]
        )


def _cell(text: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
