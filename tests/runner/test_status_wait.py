"""``GET /api/runs/<id>/status?wait=S``: one request that answers when the run
finishes, bounded in time and in waiting requests per process."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from runner import waiting
from runner.models import Run
from tests.runner.conftest import (
    chain_version_make,
    doc,
    linear_doc,
    model_make,
    node,
)
from tests.runner.estimators import SleepySum
from tests.runner.test_worker_runs import workers  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(owner):
    return chain_version_make(owner=owner, document=linear_doc(), name="adder")


@pytest.fixture
def pauses(monkeypatch, settings) -> tuple[list[float], list[Any]]:
    """The waits' pauses when no end is told, recorded instead of slept (each
    may act first)."""
    settings.CATENA_RUN_END_LISTEN = False
    taken: list[float] = []
    actions: list[Any] = []

    def pause(seconds: float) -> None:
        taken.append(seconds)
        if actions:
            actions.pop(0)()

    monkeypatch.setattr(waiting, "sleep", pause)
    return taken, actions


def run_post(api) -> int:
    created = api.post(
        "/api/runs/", {"chain": "adder", "rows": [{"x": 1, "y": 1}]}, format="json"
    )
    assert created.status_code == 201
    return int(created.json()["id"])


def test_a_waiting_status_request_answers_once_the_run_finishes(api, version, pauses):
    taken, actions = pauses
    run_id = run_post(api)
    # The run finishes while the request waits: on its third pause.
    finish = Run.objects.filter(id=run_id).update
    actions += [lambda: None, lambda: None, lambda: finish(status="succeeded")]
    body = api.get(f"/api/runs/{run_id}/status?wait=15").json()
    assert (body["status"], body["active"]) == ("succeeded", False)
    assert len(taken) == 3
    # Each pause longer than the one before, none longer than the longest.
    assert taken == sorted(taken)
    assert max(taken) <= waiting.LONGEST_PAUSE


def test_a_finished_run_is_answered_without_a_pause(api, version, pauses, drain):
    taken, _ = pauses
    run_id = run_post(api)
    drain()
    with CaptureQueriesContext(connection) as queries:
        body = api.get(f"/api/runs/{run_id}/status?wait=15").json()
    assert body["status"] == "succeeded"
    assert taken == []
    # One read of the status for the wait, then the status's own two; the
    # nodes read without joining the runs (their default ordering did).
    assert len(queries) == 3
    assert not [q["sql"] for q in queries if "JOIN" in q["sql"]]


def test_a_wait_ends_after_its_seconds_with_the_run_still_active(
    api, version, monkeypatch, settings
):
    settings.CATENA_RUN_END_LISTEN = False
    run_id = run_post(api)
    clock = iter(range(1_000))
    pauses: list[float] = []
    monkeypatch.setattr(waiting, "monotonic", lambda: float(next(clock)))
    monkeypatch.setattr(waiting, "sleep", pauses.append)
    body = api.get(f"/api/runs/{run_id}/status?wait=3").json()
    assert (body["status"], body["active"]) == ("queued", True)
    # It waited (a second of its clock per look) until its 3 seconds were up.
    assert len(pauses) == 1
    assert pauses[0] <= waiting.FIRST_PAUSE


def test_without_a_wait_the_status_answers_at_once(api, version, pauses):
    taken, _ = pauses
    run_id = run_post(api)
    assert api.get(f"/api/runs/{run_id}/status").json()["active"] is True
    assert api.get(f"/api/runs/{run_id}/status?wait=0").json()["active"] is True
    assert taken == []


def test_past_its_waiting_slots_a_process_answers_at_once(
    api, version, pauses, settings
):
    taken, actions = pauses
    run_id = run_post(api)
    settings.CATENA_STATUS_WAITERS = 2
    assert waiting._slots.take(2)  # another request waits
    try:
        # The second slot: this request waits (one pause) until the run ends.
        actions.append(lambda: Run.objects.filter(id=run_id).update(status="failed"))
        assert api.get(f"/api/runs/{run_id}/status?wait=15").json()["active"] is False
        assert len(taken) == 1
        Run.objects.filter(id=run_id).update(status="running")
        assert waiting._slots.take(2)  # a third request takes the second slot
        try:
            body = api.get(f"/api/runs/{run_id}/status?wait=15").json()
        finally:
            waiting._slots.give()
        assert (body["active"], len(taken)) == (True, 1)  # none left: at once
    finally:
        waiting._slots.give()
    assert waiting._slots.taken == 0


def test_one_user_waits_on_a_share_of_the_slots_only(
    api, owner, teammate_api, version, pauses, settings
):
    taken, actions = pauses
    run_id = run_post(api)
    settings.CATENA_STATUS_WAITERS, settings.CATENA_STATUS_WAITERS_PER_USER = 8, 2
    assert waiting._slots.take(8, owner.pk, 2)
    assert waiting._slots.take(8, owner.pk, 2)  # two waits of the owner's
    try:
        body = api.get(f"/api/runs/{run_id}/status?wait=15").json()
        assert (body["active"], taken) == (True, [])  # the owner's third: at once
        # Another user still waits (one pause) until the run ends.
        actions.append(lambda: Run.objects.filter(id=run_id).update(status="failed"))
        body = teammate_api.get(f"/api/runs/{run_id}/status?wait=15").json()
        assert (body["active"], len(taken)) == (False, 1)
    finally:
        waiting._slots.give(owner.pk)
        waiting._slots.give(owner.pk)
    assert (waiting._slots.taken, waiting._slots.by_user) == (0, {})


def test_a_slot_is_given_back_when_a_wait_fails(api, version, pauses, settings):
    taken, actions = pauses
    run_id = run_post(api)
    settings.CATENA_STATUS_WAITERS = 1

    def broken() -> None:
        raise RuntimeError("the database went away")

    actions.append(broken)
    with pytest.raises(RuntimeError):
        waiting.run_finished_wait(run_id=run_id, seconds=30)
    # The one slot is free again: the next request waits (and pauses).
    actions.append(lambda: Run.objects.filter(id=run_id).update(status="failed"))
    body = api.get(f"/api/runs/{run_id}/status?wait=15").json()
    assert (body["status"], len(taken)) == ("failed", 2)


@pytest.mark.parametrize(
    "wait", ["-1", "16", "nan", "inf", "1e400", "abc", "0x10", "1" * 5000]
)
def test_a_bad_wait_is_a_400_naming_the_parameter(api, version, wait):
    run_id = run_post(api)
    response = api.get(f"/api/runs/{run_id}/status", {"wait": wait})
    assert response.status_code == 400
    assert "wait" in response.json()["extra"]["fields"]


def test_a_wait_on_an_unknown_run_is_a_404_at_once(api, pauses):
    taken, _ = pauses
    assert api.get("/api/runs/987654/status?wait=15").status_code == 404
    assert taken == []


@pytest.mark.worker
@pytest.mark.slow
def test_one_waiting_request_sees_a_run_finish_on_a_real_worker(
    owner,
    staff,
    workers,  # noqa: F811
):
    from rest_framework.test import APIClient

    model_make(
        name="sleepy", estimator=SleepySum(["x", "y"], 0.5), owner=owner, staff=staff
    )
    nodes = [
        node("in", "input", schema=[["x", "float"], ["y", "float"]]),
        node("sleepy", "model", model="sleepy", version="@latest"),
        node("out", "output"),
    ]
    edges = [["in", "sleepy"], ["sleepy", "out"]]
    chain_version_make(owner=owner, document=doc(nodes, edges), name="slow")
    workers()
    client = APIClient()
    client.force_authenticate(owner)
    rows = [{"x": 1.0, "y": 2.0}]
    created = client.post("/api/runs/", {"chain": "slow", "rows": rows}, format="json")
    assert created.json()["status"] in ("queued", "running")
    body = client.get(f"/api/runs/{created.json()['id']}/status?wait=15").json()
    assert (body["status"], body["active"], body["done"]) == ("succeeded", False, 3)


def test_a_wait_on_an_id_too_large_for_the_database_is_a_404(api):
    assert api.get(f"/api/runs/{2**70}/status?wait=1").status_code == 404
