"""Shadow variants: the same rows through other versions, logged, never returned.

Shadows run after the answer is ready, in a small thread pool of this process
(``CATENA_SERVE_SHADOW_THREADS``) with a bounded backlog
(``CATENA_SERVE_SHADOW_QUEUE``): when the backlog is full the shadow is dropped
and counted, so shadows never add their latency to a caller's answer nor pile up
memory under load.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger("catena.serving")


class ShadowPool:
    """A bounded thread pool that drops work rather than queue it unboundedly."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._pending: set[Future[None]] = set()
        self.dropped = 0

    def submit(self, job: Callable[[], None]) -> bool:
        """Run ``job`` soon (at once when inline); False when it was dropped."""
        if settings.CATENA_SERVE_SHADOWS_INLINE:
            job()
            return True
        limit = int(settings.CATENA_SERVE_SHADOW_QUEUE) + int(
            settings.CATENA_SERVE_SHADOW_THREADS
        )
        with self._lock:
            if len(self._pending) >= limit:
                self.dropped += 1
                return False
            future = self._pool().submit(_guarded, job)
            self._pending.add(future)
        future.add_done_callback(self._done)
        return True

    def drain(self, timeout: float = 30.0) -> None:
        """Wait for the shadows already submitted (tests, shutdown)."""
        with self._lock:
            pending = set(self._pending)
        wait(pending, timeout=timeout)

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=max(int(settings.CATENA_SERVE_SHADOW_THREADS), 1),
                thread_name_prefix="catena-shadow",
            )
        return self._executor

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)


def _guarded(job: Callable[[], None]) -> None:
    # Pool threads keep a database connection each; drop it when it is too old.
    close_old_connections()
    try:
        job()
    except Exception:
        log.exception("serving: a shadow failed")


pool = ShadowPool()


def difference(served: pd.DataFrame, shadow: pd.DataFrame) -> tuple[float, float]:
    """Mean absolute difference of the shared numeric columns, and the share of
    rows where any shared column differs (NaN against a number differs)."""
    shared = [c for c in served.columns if c in shadow.columns]
    if not shared or len(served) != len(shadow) or len(served) == 0:
        return float("nan"), 1.0
    a = served[shared].reset_index(drop=True)
    b = shadow[shared].reset_index(drop=True)
    numeric = [
        c
        for c in shared
        if pd.api.types.is_numeric_dtype(a[c]) and pd.api.types.is_numeric_dtype(b[c])
    ]
    differs = np.zeros(len(a), dtype=bool)
    for column in shared:
        differs |= _differs(a[column], b[column], column in numeric)
    mean = float("nan")
    if numeric:
        gaps = (a[numeric].astype(float) - b[numeric].astype(float)).abs()
        mean = float(np.nanmean(gaps.to_numpy())) if gaps.notna().any().any() else mean
    return mean, float(differs.mean())


def _differs(a: pd.Series[Any], b: pd.Series[Any], numeric: bool) -> Any:
    if numeric:
        x, y = a.astype(float).to_numpy(), b.astype(float).to_numpy()
        both_nan = np.isnan(x) & np.isnan(y)
        with np.errstate(invalid="ignore"):
            return ~(np.isclose(x, y, rtol=0, atol=1e-9) | both_nan)
    return (a != b).to_numpy()
