"""The per-process concurrency limit of predictions: full means 503, never a wait."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings


class Overloaded(Exception):
    """Every prediction slot of this process is taken."""

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(f"all {limit} prediction slots of this process are busy")
        self.limit = limit
        self.retry_after = retry_after


class Gate:
    """At most ``CATENA_SERVE_CONCURRENCY`` predictions at once in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy = 0

    @property
    def busy(self) -> int:
        return self._busy

    @contextmanager
    def slot(self) -> Iterator[None]:
        limit = int(settings.CATENA_SERVE_CONCURRENCY)
        with self._lock:
            if self._busy >= limit:
                raise Overloaded(limit, int(settings.CATENA_SERVE_RETRY_AFTER))
            self._busy += 1
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1


gate = Gate()
