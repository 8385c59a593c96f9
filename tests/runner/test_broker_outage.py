"""A broker outage at submission: the run is accepted once (202, queued) and
starts when the broker is back, sent again by the sweeper; never a 500, never a
second run for a client that retries."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from kombu import pools
from rest_framework.test import APIClient

from config.celery import app
from runner.models import NodeResult, Run
from tests.conftest import WorkerProcess
from tests.runner.conftest import chain_version_make, linear_doc

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A redis-server of this test's own, without persistence."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(free_port())
    yield server
    server.stop()


def app_broker_set(url: str | None, transport: Any, options: Any) -> None:
    """Point this process's Celery app at another broker (its pools rebuilt).

    Celery's pools live in kombu's process-wide pool groups, keyed by broker:
    closing only ``app._pool`` would leave that closed pool in the group, to be
    handed back to every later test on the original broker ("Acquire on closed
    pool"). ``kombu.pools.reset`` closes and forgets them all.
    """
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    # Celery's broker_url prefers the CELERY_BROKER_URL environment variable
    # (set in the Redis configuration); the write URL has no such override.
    app.conf.broker_write_url = url
    app.conf.broker_transport = transport
    app.conf.broker_transport_options = options


@pytest.fixture
def web_broker(redis_server) -> Iterator[RedisServer]:
    """The web side (this process) sends its messages to ``redis_server``."""
    saved = (
        app.conf.get("broker_write_url"),
        app.conf.broker_transport,
        app.conf.broker_transport_options,
    )
    app_broker_set(redis_server.url, None, {})
    yield redis_server
    app_broker_set(*saved)


def run_wait(run: Run, timeout: float = 60.0) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if not run.is_active:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run.id} still {run.status}")


def test_a_run_submitted_while_the_broker_is_down_starts_once_it_is_back(
    transactional_db, owner, web_broker, media
):
    chain_version_make(owner=owner, document=linear_doc(), name="adder")
    client = APIClient()
    client.force_authenticate(owner)
    web_broker.start()
    web_broker.stop()

    body = {"chain": "adder", "rows": [{"x": 1.0, "y": 2.0}]}
    headers = {"Idempotency-Key": "outage-1"}
    response = client.post("/api/runs/", body, format="json", headers=headers)
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert "broker is unreachable" in response.json()["notice"]
    # The client retries (it saw a 202, or lost the answer): the same run.
    retry = client.post("/api/runs/", body, format="json", headers=headers)
    assert retry.status_code == 200
    assert retry.json()["id"] == response.json()["id"]
    run = Run.objects.get()
    assert run.nodes.get(node_id="in").status == NodeResult.Status.QUEUED

    web_broker.start()
    env = {
        "CELERY_BROKER_URL": web_broker.url,
        "CATENA_NODE_LEASE_SECONDS": "1",
        "CATENA_REQUEUE_MARGIN_SECONDS": "1",
        "CATENA_SWEEP_SECONDS": "0.5",
        "CATENA_MEDIA_ROOT": str(media),
    }
    worker = WorkerProcess(extra_env=env, beat=True)
    try:
        worker.wait_ready()
        assert run_wait(run).status == Run.Status.SUCCEEDED
    finally:
        worker.stop()
    assert Run.objects.count() == 1
    assert set(run.nodes.values_list("attempts", flat=True)) == {1}
