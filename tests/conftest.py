"""Fixtures shared by every app's tests: actors, API clients, a real Celery worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import UserFactory

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _durations_forget() -> Iterator[None]:
    """Node times a worker process remembers, and the chain version plans it
    keeps, are keyed by ids (and a count) a rollback takes back."""
    from runner.claims import durations
    from runner.services import plans

    durations.forget()
    plans.forget()
    yield
    durations.forget()
    plans.forget()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup) -> Iterator[None]:
    """pytest-django's test database; a waiting request started a thread that
    listens for run ends on a connection of its own, and writing an output
    behind started a writer thread with its own: both closed before the test
    database is dropped."""
    from runner.claims.behind import writer_disconnect
    from runner.run_ends import run_ends_stop

    yield
    run_ends_stop()
    writer_disconnect()


# Actors ------------------------------------------------------------------------
@pytest.fixture
def owner(db):
    """Owns the objects under test: may change them."""
    return UserFactory(username="owner")


@pytest.fixture
def teammate(db):
    """Another logged-in user: may read and run, not change what owner owns."""
    return UserFactory(username="teammate")


@pytest.fixture
def staff(db):
    """Staff: may trust model versions and change anything."""
    return UserFactory(username="staff", is_staff=True)


@pytest.fixture
def api(owner) -> APIClient:
    client = APIClient()
    client.force_authenticate(owner)
    return client


@pytest.fixture
def teammate_api(teammate) -> APIClient:
    client = APIClient()
    client.force_authenticate(teammate)
    return client


@pytest.fixture
def staff_api(staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff)
    return client


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


# A real Celery worker ------------------------------------------------------------
def database_url_for_workers() -> str:
    """The test database as a URL, so a worker process opens the same one."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{db['NAME']}"


def purge_broker() -> None:
    from config.celery import app

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for path in (settings.BROKER_DIR / "queue").glob("*"):
            path.unlink(missing_ok=True)
        return
    with app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()


class WorkerProcess:
    """A `celery worker` subprocess on the test database and the configured broker."""

    def __init__(
        self,
        concurrency: int = 2,
        extra_env: dict[str, str] | None = None,
        beat: bool = False,
    ):
        self.name = f"test-{uuid.uuid4().hex[:8]}@%h"
        self.log_path = settings.VAR_DIR / f"worker-{uuid.uuid4().hex[:8]}.log"
        env = {**os.environ, "DATABASE_URL": database_url_for_workers()}
        env.update(extra_env or {})
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-c",
            str(concurrency),
            "-n",
            self.name,
            "-l",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        if beat:
            # Celery beat inside the worker, with a schedule file of its own.
            schedule = settings.VAR_DIR / f"beat-{uuid.uuid4().hex[:8]}"
            command += ["-B", "-s", str(schedule)]
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log_path.read_text():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"worker did not start:\n{self.log_path.read_text()}")

    def output(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            # The test is over and its tasks need not finish: kill the worker and
            # its pool at once (a warm shutdown takes 5 s or more per test).
            os.killpg(self.process.pid, signal.SIGKILL)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


@pytest.fixture
def celery_worker_process(transactional_db) -> Iterator[WorkerProcess]:
    """A real worker for one test; the test's rows must be committed to be seen."""
    purge_broker()
    worker = WorkerProcess()
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


# Remote models: real model servers ------------------------------------------------
@pytest.fixture(scope="session")
def nodejs(tmp_path_factory):
    """The Node.js linear model server (tests/registry/remote), for the session."""
    from tests.registry.remote.servers import node_server

    with node_server(tmp_path_factory.mktemp("node")) as server:
        yield server


@pytest.fixture(scope="session")
def ml(tmp_path_factory):
    """MLServer serving the scikit-learn model ``sk`` over V2, in its own venv."""
    from tests.registry.remote.servers import mlserver

    with mlserver(tmp_path_factory.mktemp("mlserver")) as server:
        yield server


@pytest.fixture
def remote_fresh():
    """Connection pools and loaded models outlive a test otherwise."""
    from registry.remote import adapter
    from registry.resolver import model_cache

    adapter.pools.clear()
    model_cache.clear()
    yield
    adapter.pools.clear()
    model_cache.clear()


@pytest.fixture
def loopback_allowed(settings, remote_fresh):
    """The test model servers listen on 127.0.0.1: allow exactly that address."""
    settings.CATENA_HTTP_ALLOWED_HOSTS = ["127.0.0.1"]
