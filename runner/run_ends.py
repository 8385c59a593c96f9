"""A run's end, told as it commits to the requests of this machine's web
processes that wait for it (``GET /api/runs/<id>/status?wait=S``).

A waiting request re-reads the run's status after pauses that grow to 10 ms,
so it saw a small run's end 2-3 ms after the fact on average, and each look was
a query on the cores the nodes compute on. Now the transaction that ends a run
also announces it, and a thread in each web process, started by its first
wait, wakes the requests waiting for that run at once:

- PostgreSQL: ``NOTIFY catena_run_end, '<run id>'`` in the ending transaction
  (PostgreSQL delivers it on commit, never for a rollback); the thread
  ``LISTEN``s on a connection of its own.
- SQLite (its file is on this machine): once the ending transaction commits, a
  file beside the database is touched; the thread waits on its folder
  (inotify, ``inotify_simple``) and wakes every waiting request.

The waits still look by themselves, less often (every 100 ms), so an end not
announced (or announced while the thread reconnects) is seen late, not never.
``CATENA_RUN_END_LISTEN=0`` turns this off (a pooler in transaction mode, such
as PgBouncer's, does not pass ``LISTEN`` on): the waits poll as before.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

logger = logging.getLogger(__name__)

CHANNEL = "catena_run_end"
#: The listening connections' name in ``pg_stat_activity``.
APPLICATION_NAME = "catena run ends"
#: How long a first wait lets the listening thread start before polling instead.
START_SECONDS = 1.0
#: The pause before a lost listening connection is made again, doubled after
#: each failure to listen, up to the longest.
RETRY_SECONDS, RETRY_LONGEST = 1.0, 60.0
#: libpq's TCP keepalives on the listening connection.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}
#: How often the listening thread looks whether it is to stop.
LOOK_SECONDS = 1.0


def run_end_announce(run_id: int) -> None:
    """Inside the transaction that ends the run: have its end told on commit."""
    if not settings.CATENA_RUN_END_LISTEN:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(run_id)])
    elif connection.vendor == "sqlite" and (mark := _sqlite_mark()) is not None:
        transaction.on_commit(lambda: _touch(mark))


class RunEndWatch:
    """One waiting request's view of its run's end: ``wait`` returns early once
    the end is told; ``listening`` is False when nothing will be told."""

    def __init__(self, listening: bool) -> None:
        self.listening = listening
        self.told = threading.Event()

    def wait(self, seconds: float) -> bool:
        """Until an end is told (True, and forgotten) or ``seconds`` passed."""
        told = self.told.wait(seconds)
        self.told.clear()
        return told


@contextmanager
def run_end_watch(
    run_id: int, start_seconds: float = START_SECONDS
) -> Iterator[RunEndWatch]:
    """Be told of the run's end while inside; enter before reading its status.
    A first watch of this process lets the listening thread start for at most
    ``start_seconds`` (and ``START_SECONDS``)."""
    listener = _listener(min(start_seconds, START_SECONDS))
    watch = RunEndWatch(listener is not None and listener.ready.is_set())
    if listener is None:
        yield watch
        return
    listener.add(run_id, watch)
    try:
        yield watch
    finally:
        listener.remove(run_id, watch)


class _Listener:
    """The thread of one web process that hears ends and wakes their watches."""

    def __init__(self, source: Any) -> None:
        self.owner = os.getpid()
        self.lock = threading.Lock()
        self.watches: dict[int, set[RunEndWatch]] = {}
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.heard_before = False
        self.source = source
        self.thread = threading.Thread(
            target=self._run, name="run-end-listener", daemon=True
        )
        self.thread.start()

    def add(self, run_id: int, watch: RunEndWatch) -> None:
        with self.lock:
            self.watches.setdefault(run_id, set()).add(watch)

    def remove(self, run_id: int, watch: RunEndWatch) -> None:
        with self.lock:
            found = self.watches.get(run_id, set())
            found.discard(watch)
            if not found:
                self.watches.pop(run_id, None)

    def tell(self, run_id: int | None) -> None:
        """Wake the watches of the run (of every run for None)."""
        with self.lock:
            if run_id is None:
                woken = [w for found in self.watches.values() for w in found]
            else:
                woken = list(self.watches.get(run_id, ()))
        for watch in woken:
            watch.told.set()

    def listening(self) -> None:
        """Heard from now on; after a loss, the waits look (an end may have
        been missed meanwhile)."""
        if self.heard_before:
            self.tell(None)
        self.heard_before = True
        self.ready.set()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=2 * LOOK_SECONDS + RETRY_SECONDS)

    def _run(self) -> None:
        pause = RETRY_SECONDS
        while not self.stopping.is_set():
            try:
                self.source(self)
            except Exception as exc:  # a lost connection, a closed watch
                logger.warning("run ends: not heard (%s); again in %g s", exc, pause)
            if self.ready.is_set():  # it listened: lost, not refused
                pause = RETRY_SECONDS
            self.ready.clear()
            self.stopping.wait(pause)
            pause = min(pause * 2, RETRY_LONGEST)


def _listen_postgresql(params: dict[str, Any]) -> Any:
    def listen(listener: _Listener) -> None:
        import psycopg

        with psycopg.connect(**params, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            listener.listening()
            while not listener.stopping.is_set():
                for told in conn.notifies(timeout=LOOK_SECONDS):
                    run_id = _run_id(told.payload)
                    if run_id is not None:
                        listener.tell(run_id)

    return listen


def _run_id(payload: str) -> int | None:
    """A run id told, or None (anyone who may connect may NOTIFY anything)."""
    if len(payload) > 20 or not (payload.isascii() and payload.isdecimal()):
        return None
    return int(payload)


def _listen_sqlite(mark: Path) -> Any:
    def listen(listener: _Listener) -> None:
        from inotify_simple import INotify, flags

        mark.parent.mkdir(parents=True, exist_ok=True)
        with INotify() as notify:
            notify.add_watch(
                mark.parent, flags.ATTRIB | flags.CLOSE_WRITE | flags.MOVED_TO
            )
            listener.listening()
            while not listener.stopping.is_set():
                events = notify.read(timeout=round(LOOK_SECONDS * 1000))
                if any(event.mask & flags.IGNORED for event in events):
                    raise OSError(f"{mark.parent} is gone")
                if any(event.name == mark.name for event in events):
                    listener.tell(None)

    return listen


_started: dict[str, _Listener] = {}
_starting = threading.Lock()


def _listener(start_seconds: float = START_SECONDS) -> _Listener | None:
    """This process's listener for the default database (started at first)."""
    if not settings.CATENA_RUN_END_LISTEN:
        return None
    key = f"{connection.vendor}:{connection.settings_dict['NAME']}"
    with _starting:
        listener = _started.get(key)
        if listener is None or listener.owner != os.getpid():
            source = _source()
            if source is None:
                return None
            listener = _started[key] = _Listener(source)
            started = True
        else:
            started = False
    if started:
        listener.ready.wait(start_seconds)
    return listener


def run_ends_stop() -> None:
    """Stop this process's listening threads (their connections closed)."""
    with _starting:
        listeners = list(_started.values())
        _started.clear()
    for listener in listeners:
        if listener.owner == os.getpid():
            listener.stop()


def _source() -> Any:
    if connection.vendor == "postgresql":
        params = connection.get_connection_params()
        for django_only in ("context", "cursor_factory"):
            params.pop(django_only, None)
        params["application_name"] = APPLICATION_NAME
        # A connection lost without a word (a failover, a NAT's timeout) is
        # found within a minute and made again; a host down, within 5 s.
        params.setdefault("connect_timeout", 5)
        for name, value in KEEPALIVES.items():
            params.setdefault(name, value)
        return _listen_postgresql(params)
    if connection.vendor == "sqlite" and sys.platform.startswith("linux"):
        mark = _sqlite_mark()
        return _listen_sqlite(mark) if mark is not None else None
    return None


def _sqlite_mark() -> Path | None:
    """The file touched when a run ends: beside a database file (None in memory)."""
    name = str(connection.settings_dict["NAME"])
    if not name or name.startswith(":memory:") or name.startswith("file:"):
        return None
    database = Path(name)
    return database.parent / f"{database.name}.run-ends" / "ended"


def _touch(mark: Path) -> None:
    try:
        try:
            os.utime(mark)
        except FileNotFoundError:
            mark.parent.mkdir(parents=True, exist_ok=True)
            mark.touch()
    except OSError as exc:  # the waits see the end by looking
        logger.warning("run ends: %s not touched (%s)", mark, exc)
