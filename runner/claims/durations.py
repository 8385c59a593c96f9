"""How long a node is expected to take, and whether ready nodes stay in this process.

When a node finishes and several of its run's nodes become ready together, a
worker either fans them out over workers (queued, one broker message each) or,
when they are quick, runs them one after another itself (each still claimed,
stored and recorded on its own, as the run page shows). Quick means: the
compute seconds last recorded for each (same chain version, node and model;
by this process without the time it spent loading a model file, which
happens once per process),
scaled up by the rows of this run's input when it has more (never down), add
up to at most ``CATENA_RUN_INLINE_SECONDS``. A node with no recorded time
counts as slow, so a chain's first run fans out, and so does a run far bigger
than the one measured.

Times are kept per process for ``KEEP_SECONDS`` (what it computed itself, and
what it read) and read from the database after: any worker's latest success of
the node, so a slow first call (a model loaded cold) is soon forgotten.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

from django.conf import settings

from runner.claims import sql
from runner.models import NodeResult

#: (chain version, node id, model name, model version) -> (seconds, rows, until).
Key = tuple[int, str, str, int]
_seen: dict[Key, tuple[float, int, float]] = {}
LIMIT = 4096
KEEP_SECONDS = 10.0


def key(version_id: int, node_result: NodeResult) -> Key:
    return (
        version_id,
        node_result.node_id,
        node_result.model_name,
        node_result.model_version or 0,
    )


def note(version_id: int, node_result: NodeResult, seconds: float, rows: int) -> None:
    """Remember how long this process took to compute the node on ``rows`` rows."""
    if len(_seen) >= LIMIT:
        _seen.clear()
    found = key(version_id, node_result)
    _seen[found] = (seconds, rows, time.monotonic() + KEEP_SECONDS)


def quick(version_id: int, nodes: Iterable[NodeResult], rows: int) -> bool:
    """Whether these ready nodes are expected to take at most the budget in all."""
    budget: float = settings.CATENA_RUN_INLINE_SECONDS
    if budget <= 0:
        return False
    return sum(expected(version_id, nodes, rows)) <= budget


def expected(version_id: int, nodes: Iterable[NodeResult], rows: int) -> list[float]:
    """Each node's expected compute seconds on ``rows`` input rows; infinite
    for a node with no recorded time."""
    keys = [key(version_id, n) for n in nodes]
    now = time.monotonic()
    _recorded_read(version_id, [k for k in keys if _seen.get(k, (0, 0, 0.0))[2] < now])
    times = []
    for found in keys:
        # One look each: a worker's writer thread may empty the table meanwhile.
        seen = _seen.get(found)
        if seen is None:
            times.append(math.inf)
            continue
        seconds, measured, _ = seen
        times.append(seconds * max(1.0, rows / max(measured, 1)))
    return times


def forget() -> None:
    """Drop every remembered time (tests: ids are reused after a rollback)."""
    _seen.clear()


def _recorded_read(version_id: int, keys: list[Key]) -> None:
    """Fill in from the database what this process has not seen (one query)."""
    if not keys:
        return
    recorded = sql.node_seconds_recent(version_id, sorted({k[1] for k in keys}))
    until = time.monotonic() + KEEP_SECONDS
    _seen.update((k, (*recorded[k], until)) for k in keys if k in recorded)
