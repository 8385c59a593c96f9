"""Waiting for a run to finish inside a status request (``?wait=``), bounded.

A client that polls ``/status`` every few milliseconds spends a request each
time (about 1.5 ms of the web process and as much of its own), on the same
cores the run's nodes compute on. A waiting request re-reads one column of one
row instead, ever less often, and answers as soon as the run is no longer
active. Each wait holds a web thread, so a process lets at most
``CATENA_STATUS_WAITERS`` wait at once; the others answer at once, as without
``wait``.
"""

from __future__ import annotations

import threading
from time import monotonic, sleep

from django.conf import settings

from runner.models import Run

#: The longest wait a request may ask for, in seconds.
WAIT_MAX_SECONDS = 30.0
#: The run's status is read again after 1 ms, then 1.1x later each time, at
#: most every 10 ms (reached after about 100 ms): a small run is seen to end
#: within a millisecond or two, a long one costs 100 reads of one column a
#: second (about 1% of a core).
FIRST_PAUSE, PAUSE_GROWTH, LONGEST_PAUSE = 0.001, 1.1, 0.010


class _Slots:
    """How many requests of this process are waiting now."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.taken = 0

    def take(self, limit: int) -> bool:
        with self.lock:
            if self.taken >= limit:
                return False
            self.taken += 1
            return True

    def give(self) -> None:
        with self.lock:
            self.taken -= 1


_slots = _Slots()


def run_finished_wait(*, run_id: int, seconds: float) -> bool:
    """Return once the run is no longer active (or absent), or after ``seconds``;
    False when it did not wait because this process's waiting slots are taken."""
    if seconds <= 0:
        return True
    if not _slots.take(settings.CATENA_STATUS_WAITERS):
        return False
    try:
        _until_finished(run_id, monotonic() + seconds)
    finally:
        _slots.give()
    return True


def _until_finished(run_id: int, deadline: float) -> None:
    pause = FIRST_PAUSE
    rows = Run.objects.filter(id=run_id).values_list("status", flat=True)
    while True:
        status = rows.first()
        left = deadline - monotonic()
        if status not in Run.ACTIVE or left <= 0:
            return
        sleep(min(pause, left))
        pause = min(pause * PAUSE_GROWTH, LONGEST_PAUSE)
