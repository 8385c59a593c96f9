"""A run's end is told, as it commits, to the requests waiting for it
(PostgreSQL NOTIFY / a touched file watched with inotify on SQLite), so a
``?wait=`` answers then, not at its next look."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from runner import claims, run_ends, waiting
from runner.models import NodeResult, Run
from runner.run_ends import RunEndWatch, run_end_watch
from tests.runner.conftest import chain_version_make, doc, linear_doc, model_make, node
from tests.runner.estimators import SleepySum
from tests.runner.test_worker_runs import workers  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db(transaction=True)

Status = NodeResult.Status


@pytest.fixture
def run_id(api, owner) -> int:
    """A queued run, committed (no worker takes it)."""
    chain_version_make(owner=owner, document=linear_doc(), name="adder")
    rows = [{"x": 1, "y": 1}]
    created = api.post("/api/runs/", {"chain": "adder", "rows": rows}, format="json")
    assert created.status_code == 201
    return int(created.json()["id"])


def elsewhere(action: Callable[[], Any]) -> None:
    """Run ``action`` in another thread, on a database connection of its own."""

    def run() -> None:
        try:
            action()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)


def run_succeed(run_id: int) -> None:
    with transaction.atomic():
        claims.run_finish_if_done(run_id, {Status.SUCCEEDED})


@pytest.fixture
def told(monkeypatch) -> list[bool]:
    """What each wait of a watch returned (True: woken by a told end)."""
    found: list[bool] = []
    wait = RunEndWatch.wait

    def spied(self: RunEndWatch, seconds: float) -> bool:
        result = wait(self, seconds)
        found.append(result)
        return result

    monkeypatch.setattr(RunEndWatch, "wait", spied)
    return found


def test_a_watch_is_told_when_its_run_ends_in_another_connection(run_id):
    with run_end_watch(run_id) as watch:
        assert watch.listening
        elsewhere(lambda: run_succeed(run_id))
        assert watch.wait(30)
    assert Run.objects.get(id=run_id).status == Run.Status.SUCCEEDED


def test_a_cancelled_run_is_told_too(run_id):
    with run_end_watch(run_id) as watch:
        stop = claims.run_stop
        elsewhere(lambda: stop(run_id=run_id, status=Run.Status.CANCELLED))
        assert watch.wait(30)


def test_an_end_rolled_back_is_not_told_and_the_next_commit_is(run_id):
    class Undone(Exception):
        pass

    def ended_undone() -> None:
        with transaction.atomic():
            claims.run_finish_if_done(run_id, {Status.SUCCEEDED})
            raise Undone

    def end_then_undo() -> None:
        with pytest.raises(Undone):
            ended_undone()

    with run_end_watch(run_id) as watch:
        elsewhere(end_then_undo)
        assert not watch.wait(1.0)
        assert Run.objects.get(id=run_id).status in Run.ACTIVE
        elsewhere(lambda: run_succeed(run_id))
        assert watch.wait(30)


def test_with_announcing_off_an_end_is_not_told(run_id, settings):
    with run_end_watch(run_id) as watch:
        assert watch.listening
        settings.CATENA_RUN_END_LISTEN = False  # the worker's side
        elsewhere(lambda: run_succeed(run_id))
        assert not watch.wait(1.0)
    assert Run.objects.get(id=run_id).status == Run.Status.SUCCEEDED


def test_the_end_of_another_run_wakes_only_where_the_ends_name_their_run(api, run_id):
    created = api.post(
        "/api/runs/", {"chain": "adder", "rows": [{"x": 2, "y": 2}]}, format="json"
    )
    other = int(created.json()["id"])
    with run_end_watch(run_id) as watch:
        elsewhere(lambda: run_succeed(other))
        # PostgreSQL's NOTIFY names the run; SQLite's touched file does not
        # (every wait looks again).
        assert watch.wait(1.0) is (connection.vendor != "postgresql")


@pytest.mark.parametrize(
    ("payload", "found"),
    [
        ("12", 12),
        ("0012", 12),
        ("-1", None),
        ("\u00b9", None),
        ("1" * 5000, None),
        ("", None),
        ("1e3", None),
        (" 1", None),
    ],
)
def test_a_told_payload_is_a_run_id_or_ignored(payload, found):
    assert run_ends._run_id(payload) == found


def test_a_waiting_status_request_answers_when_told_not_at_its_next_look(
    api, run_id, told, monkeypatch
):
    # Its own look would come only after a minute, past the wait's 15 s.
    monkeypatch.setattr(waiting, "LATER_PAUSE", 60.0)
    wait = RunEndWatch.wait

    def end_on_first_wait(self: RunEndWatch, seconds: float) -> bool:
        if not told:
            threading.Thread(
                target=lambda: elsewhere(lambda: run_succeed(run_id))
            ).start()
        return wait(self, seconds)

    monkeypatch.setattr(RunEndWatch, "wait", end_on_first_wait)
    body = api.get(f"/api/runs/{run_id}/status?wait=15").json()
    assert (body["status"], body["active"]) == ("succeeded", False)
    assert told == [True]  # woken, not at the end of its 15 s


def assert_waits_poll(api: Any, run_id: int, monkeypatch: Any) -> None:
    """A waiting status request sleeps its first poll's pause (the run ends in
    it) and answers with the end: it polled, as without told ends."""
    slept: list[float] = []

    def pause(seconds: float) -> None:
        slept.append(seconds)
        run_succeed(run_id)

    monkeypatch.setattr(waiting, "sleep", pause)
    body = api.get(f"/api/runs/{run_id}/status?wait=15").json()
    assert body["status"] == "succeeded"
    assert slept == [waiting.FIRST_PAUSE]


def test_with_listening_off_nothing_is_told_and_the_waits_poll(
    api, run_id, settings, monkeypatch
):
    settings.CATENA_RUN_END_LISTEN = False
    with run_end_watch(run_id) as watch:
        assert not watch.listening
    assert_waits_poll(api, run_id, monkeypatch)


def listener_lose() -> None:
    """Take the listening thread's connection (PostgreSQL) or folder (SQLite)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s AND datname = current_database()",
                [run_ends.APPLICATION_NAME],
            )
            assert cursor.fetchone() is not None
    else:
        mark = run_ends._sqlite_mark()
        assert mark is not None
        shutil.rmtree(mark.parent)


def until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


@pytest.mark.slow
def test_the_listener_listens_again_after_losing_its_connection(run_id):
    listener = run_ends._listener()
    assert listener is not None
    assert listener.ready.is_set()
    listener_lose()
    until(lambda: not listener.ready.is_set())
    until(listener.ready.is_set)
    with run_end_watch(run_id) as watch:
        assert watch.listening
        elsewhere(lambda: run_succeed(run_id))
        assert watch.wait(30)


@pytest.mark.worker
@pytest.mark.slow
def test_a_real_workers_end_of_a_run_wakes_the_waiting_request(
    api,
    owner,
    staff,
    told,
    monkeypatch,
    workers,  # noqa: F811
):
    monkeypatch.setattr(waiting, "LATER_PAUSE", 60.0)
    model_make(
        name="sleepy", estimator=SleepySum(["x", "y"], 0.3), owner=owner, staff=staff
    )
    nodes = [
        node("in", "input", schema=[["x", "float"], ["y", "float"]]),
        node("sleepy", "model", model="sleepy", version="@latest"),
        node("out", "output"),
    ]
    edges = [["in", "sleepy"], ["sleepy", "out"]]
    chain_version_make(owner=owner, document=doc(nodes, edges), name="slow")
    workers()
    rows = [{"x": 1.0, "y": 2.0}]
    created = api.post("/api/runs/", {"chain": "slow", "rows": rows}, format="json")
    body = api.get(f"/api/runs/{created.json()['id']}/status?wait=15").json()
    assert (body["status"], body["done"]) == ("succeeded", 3)
    # The worker's end woke the wait (its own next look was a minute away).
    assert told
    assert told[-1] is True


def test_when_ends_cannot_be_heard_the_waits_poll_as_before(api, run_id, monkeypatch):
    def refused(listener: Any) -> None:
        raise OSError("connection refused")

    run_ends.run_ends_stop()
    monkeypatch.setattr(run_ends, "_source", lambda: refused)
    monkeypatch.setattr(run_ends, "START_SECONDS", 0.05)
    try:
        with run_end_watch(run_id) as watch:
            assert not watch.listening
        assert_waits_poll(api, run_id, monkeypatch)
    finally:
        run_ends.run_ends_stop()
