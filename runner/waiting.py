"""Waiting for a run to finish inside a status request (``?wait=``), bounded.

A client that polls ``/status`` every few milliseconds spends a request each
time (about 1.5 ms of the web process and as much of its own), on the same
cores the run's nodes compute on. A waiting request is woken instead when the
run's end is told (``runner.run_ends``), and answers then; it also re-reads one
column of one row now and then, in case an end is not told: every 100 ms when
ends are told, else after 1 ms, ever less often. Each wait holds a web thread,
so a process lets at most ``CATENA_STATUS_WAITERS`` wait at once, and
``CATENA_STATUS_WAITERS_PER_USER`` of one user; the others answer at once, as
without ``wait``.
"""

from __future__ import annotations

import threading
from time import monotonic, sleep

from django.conf import settings

from runner.models import Run
from runner.run_ends import RunEndWatch, run_end_watch

#: The longest wait a request may ask for, in seconds: less than gunicorn's
#: graceful timeout (20 s), so a restart lets every wait end.
WAIT_MAX_SECONDS = 15.0
#: When ends are told, the run's status is read again every 100 ms. Else after
#: 1 ms, then 1.1x later each time, at most every 10 ms for the first second (a
#: small run is seen to end within a millisecond or two), then at most every
#: 100 ms (a long run costs 10 reads of one column a second per waiting request).
FIRST_PAUSE, PAUSE_GROWTH, LONGEST_PAUSE = 0.001, 1.1, 0.010
LATER, LATER_PAUSE = 1.0, 0.100


class _Slots:
    """How many requests of this process are waiting now, in all and by user."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.taken = 0
        self.by_user: dict[int, int] = {}

    def take(self, limit: int, user_id: int | None = None, user_limit: int = 0) -> bool:
        with self.lock:
            mine = self.by_user.get(user_id, 0) if user_id is not None else 0
            if self.taken >= limit or (user_id is not None and mine >= user_limit):
                return False
            self.taken += 1
            if user_id is not None:
                self.by_user[user_id] = mine + 1
            return True

    def give(self, user_id: int | None = None) -> None:
        with self.lock:
            self.taken -= 1
            if user_id is not None:
                left = self.by_user.pop(user_id) - 1
                if left:
                    self.by_user[user_id] = left


_slots = _Slots()


def run_finished_wait(
    *, run_id: int, seconds: float, user_id: int | None = None
) -> bool:
    """Return once the run is no longer active (or absent), or after ``seconds``;
    False when it did not wait because this process's waiting slots are taken
    (or the user's share of them)."""
    if seconds <= 0:
        return True
    limit, per_user = (
        settings.CATENA_STATUS_WAITERS,
        settings.CATENA_STATUS_WAITERS_PER_USER,
    )
    if not _slots.take(limit, user_id, per_user):
        return False
    try:
        _until_finished(run_id, monotonic() + seconds)
    finally:
        _slots.give(user_id)
    return True


def _until_finished(run_id: int, deadline: float) -> None:
    pause, started = FIRST_PAUSE, monotonic()
    rows = Run.objects.filter(id=run_id).values_list("status", flat=True)
    # Watched before the first look, so an end after it is told.
    with run_end_watch(run_id, start_seconds=deadline - started) as watch:
        if watch.listening:
            pause = LATER_PAUSE
        while True:
            status = rows.first()
            now = monotonic()
            if status not in Run.ACTIVE or now >= deadline:
                return
            _pause(watch, min(pause, deadline - now))
            longest = LONGEST_PAUSE if now - started < LATER else LATER_PAUSE
            pause = min(pause * PAUSE_GROWTH, max(longest, pause))


def _pause(watch: RunEndWatch, seconds: float) -> None:
    """Until the run's end is told, or ``seconds`` passed."""
    if watch.listening:
        watch.wait(seconds)
    else:
        sleep(seconds)
