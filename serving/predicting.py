"""A prediction end to end: the variant that answers, the answer, the log, shadows.

With the log off (the default) nothing is written: one more small SELECT reads
the chain's serving settings. A sampled request writes one compact log row for
its answer, and each shadow writes one more from the shadow pool.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
import uuid
from typing import Any

import pandas as pd

from config.exceptions import CatenaAppError
from serving import services
from serving.logbook import Entry, capped, entry_write, head, sampled
from serving.models import PredictionLog
from serving.plans import Plan, plan_fetch
from serving.setup import Setup, setup_get
from serving.shadows import difference, pool
from serving.variants import LIVE, label, variant_pick

Role = PredictionLog.Role
PINNED = "pinned"


def predict(
    *, chain_name: str, number: int | None, body: Any, outputs: str = ""
) -> tuple[dict[str, Any], bool]:
    """The answer of a chain (its live version or split when ``number`` is None)
    to a body, and whether the chain had to be prepared for it (a cold start)."""
    services.rows_count_check(body=body)
    extra = services.outputs_parse(text=outputs)
    setup = setup_get(chain_name=chain_name)
    variant, number = _variant(chain_name, number, setup, body)
    if not (setup.log_enabled and setup.chain_id and sampled(setup.log_rate)):
        plan, cold = plan_fetch(chain_name=chain_name, number=number)
        done = _run(plan, services.table_build(plan=plan, body=body), extra)
        return _answer(plan, done, extra, variant), cold
    entry = Entry(setup.chain_id, uuid.uuid4(), Role.SERVED, variant, number, 1.0)
    entry.rate = setup.log_rate
    result, cold, table, out = _logged(chain_name, number, body, extra, entry)
    if variant != PINNED:
        for shadow in setup.variants.shadows:
            job = functools.partial(_shadow, chain_name, shadow, body, out, entry)
            pool.submit(job)
    return result, cold


def _variant(
    chain_name: str, number: int | None, setup: Setup, body: dict[str, Any]
) -> tuple[str, int | None]:
    if number is not None:
        return PINNED, number
    if not setup.variants.split:
        return LIVE, None
    chosen = variant_pick(chain=chain_name, variants=setup.variants, body=body)
    return label(chosen), chosen


def _run(plan: Plan, table: pd.DataFrame, extra: list[str]) -> dict[str, pd.DataFrame]:
    return services.prediction_run(plan=plan, table=table, extra=extra)


def _answer(
    plan: Plan, done: dict[str, pd.DataFrame], extra: list[str], variant: str
) -> dict[str, Any]:
    result = services.answer(plan=plan, done=done, extra=extra)
    result["variant"] = variant
    return result


def _logged(
    chain_name: str,
    number: int | None,
    body: Any,
    extra: list[str],
    entry: Entry,
    served: pd.DataFrame | None = None,
) -> tuple[dict[str, Any], bool, pd.DataFrame, pd.DataFrame]:
    """Predict as usual, then write the entry (also when the prediction fails);
    a shadow's entry (``served`` given) holds its difference from the answer."""
    start = time.perf_counter()
    table = None
    try:
        plan, cold = plan_fetch(chain_name=chain_name, number=number)
        entry.version = plan.number
        table = services.table_build(plan=plan, body=body)
        done = _run(plan, table, extra)
    except CatenaAppError as exc:
        _failed(entry, exc, start, table, body)
        raise
    result = _answer(plan, done, extra, entry.variant)
    entry.latency_ms = (time.perf_counter() - start) * 1000
    out = done[plan.prepared.output]
    _fill(entry, table, out, plan)
    if served is not None:
        mean, entry.diff_share = difference(served, out)
        entry.diff_mean = None if math.isnan(mean) else mean
    entry_write(entry=entry)
    return result, cold, table, out


def _fill(entry: Entry, table: pd.DataFrame, out: pd.DataFrame, plan: Plan) -> None:
    entry.rows = len(table)
    entry.inputs = capped(services.records(head(table)))  # type: ignore[arg-type]
    entry.outputs = capped(services.records(head(out)))  # type: ignore[arg-type]
    entry.used_models = [[m.node, m.name, m.version] for m in plan.prepared.models]


def _failed(
    entry: Entry,
    exc: CatenaAppError,
    start: float,
    table: pd.DataFrame | None,
    body: dict[str, Any],
) -> None:
    entry.latency_ms = (time.perf_counter() - start) * 1000
    entry.status, entry.error = exc.status_code, exc.message
    if table is not None:
        entry.rows = len(table)
        entry.inputs = capped(services.records(head(table)))  # type: ignore[arg-type]
    elif isinstance(body.get("rows"), list):
        # Rows the input refused are kept as sent (capped), to see why.
        entry.rows = len(body["rows"])
        entry.inputs = capped(body["rows"])
    entry_write(entry=entry)


def _shadow(
    chain_name: str, number: int, body: Any, served: pd.DataFrame, origin: Entry
) -> None:
    """Run shadow version ``number`` on the request's rows; log it and the
    difference from the served answer. Its answer goes nowhere else."""
    entry = Entry(
        origin.chain_id, origin.request, Role.SHADOW, label(number), number, origin.rate
    )
    # A failure is logged as an error of the shadow, and goes no further.
    with contextlib.suppress(CatenaAppError):
        _logged(chain_name, number, body, [], entry, served)
