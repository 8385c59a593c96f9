"""A worker process warm before it takes work: the models of every live chain,
then the model versions recent runs used most, loaded into the process's model
cache (``registry.resolver.model_cache``) under the keys a run looks them up by
and called once on a made-up row; and the store's table code used once.

Called once per pool process when it starts (``runner.tasks``, Celery's
``worker_process_init``: each prefork child has a cache of its own), and the
worker's main process says it is ready only once its pool processes are warm
(``worker_ready``, which runs before the event loop takes messages). Bounded by
the cache size, ``CATENA_WORKER_WARM_MODELS`` and ``CATENA_WORKER_WARM_SECONDS``;
``CATENA_WORKER_WARM=0`` turns it off. A model that cannot load (untrusted,
its file changed, an endpoint down) is skipped: the run that needs it reports
the problem, as it would without warming.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from builder.models import Chain
from catena.adapters import OnnxModel, SklearnModel
from catena.chains import expand
from catena.errors import CatenaError
from catena.resolving import ResolvedModel
from catena.rows import placeholder_row
from catena.schema import Column
from catena.validation import chain_info
from registry.resolver import model_cache
from runner import compute
from runner.models import NodeResult
from runner.store import tables

log = logging.getLogger("catena.runner")

#: The made-up table ``tables_warm`` stores: a number and a text column.
TABLE_WARM_COLUMNS = (Column("x", "float"), Column("s", "str"))


@dataclass
class Warmed:
    """What one process loaded: how many models, from where, in how long."""

    live: int = 0
    recent: int = 0
    failed: int = 0
    seconds: float = 0.0

    @property
    def models(self) -> int:
        return self.live + self.recent


def worker_warm() -> Warmed | None:
    """Warm this process's model cache when settings allow; say so in the log."""
    if not settings.CATENA_WORKER_WARM:
        log.info("worker process %d: warming is off (CATENA_WORKER_WARM=0)", _pid())
        return None
    tables_warm()
    warmed = models_warm(limit=warm_limit(), budget=settings.CATENA_WORKER_WARM_SECONDS)
    log.info(
        "worker process %d: %d models warmed (%d of live chains, %d of recent "
        "runs, %d failed) in %.0f ms",
        _pid(),
        warmed.models,
        warmed.live,
        warmed.recent,
        warmed.failed,
        warmed.seconds * 1000,
    )
    return warmed


def process_warm() -> None:
    """In a pool process: warm it, then leave a mark its main process waits for."""
    warmed = None
    try:
        warmed = worker_warm()
    except Exception:
        # A worker whose database is not reachable yet still starts (cold).
        log.exception("worker process %d: warming failed", os.getpid())
    mark = {"models": warmed.models if warmed else 0}
    mark["ms"] = round(warmed.seconds * 1000) if warmed else 0
    folder = _marks(os.getppid())
    if not folder.is_dir():
        return  # not a prefork process: nobody waits
    # Written aside, then renamed: the main process never reads half a mark.
    partial = folder / f".{os.getpid()}"
    partial.write_text(json.dumps(mark))
    partial.rename(folder / str(os.getpid()))


def pool_marks_prepare() -> None:
    """In the worker's main process, before its pool starts: a folder for marks."""
    folder = _marks(os.getpid())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()


def pool_wait(*, pool: Any) -> None:
    """In the worker's main process: wait until each prefork process is warm
    (a solo pool warmed before this; a thread pool does not warm)."""
    from celery.concurrency.prefork import TaskPool

    folder = _marks(os.getpid())
    if not isinstance(pool, TaskPool):
        shutil.rmtree(folder, ignore_errors=True)
        return
    deadline = time.monotonic() + settings.CATENA_WORKER_WARM_SECONDS + 10
    while len(_read(folder)) < pool.limit and time.monotonic() < deadline:
        time.sleep(0.05)
    marks = _read(folder)
    shutil.rmtree(folder, ignore_errors=True)
    log.info(
        "worker: %d of %d processes warm, %s models each, the slowest in %d ms",
        len(marks),
        pool.limit,
        "/".join(str(m) for m in sorted({m["models"] for m in marks})) or "0",
        max((m["ms"] for m in marks), default=0),
    )


def _marks(parent: int) -> Path:
    return Path(tempfile.gettempdir()) / f"catena-worker-warm-{parent}"


def _read(folder: Path) -> list[dict[str, int]]:
    if not folder.is_dir():
        return []
    return [json.loads(p.read_text()) for p in folder.glob("[0-9]*")]


def warm_limit() -> int:
    """At most this many models: the setting, never more than the cache holds."""
    configured = int(settings.CATENA_WORKER_WARM_MODELS)
    return max(0, min(configured, model_cache.size))


def models_warm(*, limit: int, budget: float) -> Warmed:
    """Load up to ``limit`` distinct models, live chains' first, within ``budget`` s."""
    warmed = Warmed()
    start = time.monotonic()
    seen: set[str] = set()
    for source, model in _candidates():
        if len(seen) >= limit or time.monotonic() - start > budget:
            break
        if model.sha256 in seen:
            continue
        seen.add(model.sha256)
        if not _load(model):
            warmed.failed += 1
        elif source == "live":
            warmed.live += 1
        else:
            warmed.recent += 1
    warmed.seconds = time.monotonic() - start
    return warmed


def _candidates() -> Iterator[tuple[str, ResolvedModel]]:
    # Generators: nothing past the limit is even resolved.
    for model in live_chain_models():
        yield "live", model
    for model in recent_run_models(days=settings.CATENA_WORKER_WARM_DAYS):
        yield "recent", model


def live_chain_models() -> Iterator[ResolvedModel]:
    """Every model (chain steps' included) of every live chain version, resolved now."""
    resolver = compute.resolver()
    names = Chain.objects.filter(live_version__isnull=False).order_by("name")
    for name in names.values_list("name", flat=True):
        try:
            info = chain_info(resolver.resolve_chain(name, "@live"), resolver)
        except CatenaError as exc:
            log.warning("warming: live chain %s skipped: %s", name, exc)
            continue
        yield from expand(
            info.chain.graph, info.resolved, info.chains
        ).resolved.values()


def recent_run_models(*, days: float) -> Iterator[ResolvedModel]:
    """The exact model versions of recent runs' nodes, the most used first."""
    since = timezone.now() - timedelta(days=days)
    used = (
        NodeResult.objects.filter(run__created__gte=since)
        .exclude(model_name="")
        .values_list("model_name", "model_version")
        .annotate(uses=Count("id"))
        .order_by("-uses", "model_name", "model_version")
    )
    resolver = compute.resolver()
    for name, number, _ in used.iterator():
        try:
            yield resolver.resolve(name, number or 0)
        except CatenaError:
            continue  # deleted since: nothing to warm


def _load(model: ResolvedModel) -> bool:
    try:
        loaded = model.load()
    except Exception as exc:  # noqa: BLE001 - a model that cannot load is skipped
        log.warning("warming: %s v%d not loaded: %s", model.name, model.version, exc)
        return False
    _first_call(model, loaded)
    return True


def _first_call(model: ResolvedModel, loaded: Any) -> None:
    """Each method once on a made-up row, so that the start-up costs of a first
    call (the library's lazy imports, its thread pools) are paid here, not by a
    run; the answer, or a refusal of the made-up row, is ignored. Only models
    that run in this process: a remote one is never called to warm it."""
    if not isinstance(loaded, (SklearnModel, OnnxModel)):
        return
    row = placeholder_row(model.signature.inputs)
    for method in model.signature.methods:
        with contextlib.suppress(Exception):
            loaded.call(method, row)


def tables_warm() -> None:
    """One small table through the store's Parquet writing, reading and
    statistics: their first use in a process costs a run's input node 8 ms."""
    table = placeholder_row(TABLE_WARM_COLUMNS)
    tables.table_from_parquet(tables.table_to_parquet(table))
    tables.table_stats(table)
    tables.table_preview(table)


def _pid() -> int:
    return os.getpid()
