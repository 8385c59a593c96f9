"""Fault: the broker (a Redis of the test's own) stops for 30 s in mid-run."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from accounts.services import api_token_create
from runner.models import NodeResult, Run
from tests.conftest import database_url_for_workers
from tests.redisserver import RedisServer
from tests.runner.conftest import chain_version_make, model_make
from tests.runner.estimators import SleepySum
from tests.runner.test_worker_runs import (
    assert_every_output_stored_once,
    run_wait,
    sleepy_doc,
    wait_for,
)
from tests.startcommand import Started, get, post

pytestmark = [pytest.mark.slow, pytest.mark.worker]

OUTAGE_SECONDS = 30


@pytest.fixture
def redis_server(transactional_db, tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    try:
        yield server
    finally:
        server.stop()


def test_a_broker_outage_mid_run_loses_nothing_and_the_web_app_answers_throughout(
    owner, staff, redis_server, tmp_path, settings
):
    # Model files and node outputs in one folder, for this process and the app's.
    settings.MEDIA_ROOT = tmp_path / "media"
    model_make(
        name="sleepy", estimator=SleepySum(["x", "y"], 2.0), owner=owner, staff=staff
    )
    chain_version_make(owner=owner, document=sleepy_doc("a", "b"), name="sleepy")
    token = api_token_create(user=owner).key
    env = {
        "DATABASE_URL": database_url_for_workers(),
        "CELERY_BROKER_URL": redis_server.url,
        "CATENA_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CATENA_NODE_LEASE_SECONDS": "2",
    }
    start = Started(tmp_path, env=env)
    try:
        start.wait_healthy()
        status, body = post(
            f"{start.url}/api/runs/",
            {"chain": "sleepy", "rows": [{"x": 1.0, "y": 2.0}]},
            token=token,
        )
        assert status == 201, body
        run = Run.objects.get(id=body["id"])
        wait_for(lambda: run.nodes.filter(status=NodeResult.Status.RUNNING).exists())
        pages, health = outage(start, redis_server)
        run_wait(run, timeout=180)
    finally:
        start.close()
    assert set(pages) == {200}, pages
    assert (503, ["broker"]) in health
    assert run.status == Run.Status.SUCCEEDED, list(
        run.nodes.values_list("node_id", "status", "attempts", "error")
    )
    assert run.nodes.count() == 5
    assert_every_output_stored_once(run, settings.MEDIA_ROOT)


def outage(
    start: Started, redis_server: RedisServer
) -> tuple[list[int | str], list[tuple[int, list[str]]]]:
    """Stop the broker for OUTAGE_SECONDS, asking the web app all along."""
    pages: list[int | str] = []
    health: list[tuple[int, list[str]]] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            try:
                pages.append(get(f"{start.url}/accounts/login/")[0])
                status, body = get(f"{start.url}/healthz")
                health.append((status, body["down"] if isinstance(body, dict) else []))
            except OSError as error:
                pages.append(repr(error))
            time.sleep(0.5)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        redis_server.stop()
        time.sleep(OUTAGE_SECONDS)
        redis_server.start()
        start.wait_healthy(timeout=120)
    finally:
        done.set()
        poller.join()
    return pages, health
