"""The README's first command starts the web app, a worker and the scheduler,
keeps them running, and Ctrl-C stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.startcommand import ROOT, Started, get

pytestmark = [pytest.mark.slow, pytest.mark.worker]


@pytest.fixture
def started(tmp_path) -> Iterator[Started]:
    start = Started(tmp_path)
    try:
        yield start
    finally:
        start.close()


def files_under(folder: Path, apart: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` but those under ``apart`` and under any test
    suite's own ``test-*`` folder (the other configuration's suite runs beside
    this one), with mtime and size."""
    suites = [apart, *folder.glob("test-*")]
    found = {}
    for path in folder.rglob("*"):
        if path.is_file() and not any(s in path.parents for s in suites):
            stat = path.stat()
            found[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return found


def leftovers(port: int) -> bytes:
    return subprocess.run(
        ["pgrep", "-f", f"gunicorn .*127.0.0.1:{port}"], capture_output=True
    ).stdout


def test_start_keeps_its_files_in_the_var_dir_runs_the_sweeper_and_ctrl_c_stops_all(
    tmp_path,
):
    repo_var = ROOT / "var"
    before = files_under(repo_var, apart=settings.VAR_DIR)
    start = Started(tmp_path)
    try:
        health = start.wait_healthy()
        web_app = leftovers(start.port)
        start.wait_logged(r"Task runner\.runs_sweep\[\S+\] succeeded")
        assert start.interrupt() == 0
    finally:
        start.close()
    output = start.output()
    assert health["checks"] == {"database": "ok", "broker": "ok", "worker": "ok"}
    # The web app runs under gunicorn (a master and its workers), not runserver.
    assert len(web_app.split()) >= 2
    assert "live chains warm in this process" in output
    assert "Created the superuser 'admin' with password:" in output
    assert f"Catena is running at http://127.0.0.1:{start.port}/" in output
    assert " ready." in output  # the worker came up
    assert list(start.var.glob("celerybeat-schedule*"))
    assert (start.var / "catena.sqlite3").exists()
    assert files_under(repo_var, apart=settings.VAR_DIR) == before
    assert leftovers(start.port) == b""


def test_a_killed_worker_is_restarted_and_the_web_app_answers_throughout(started):
    started.wait_healthy()
    worker_pid = int(started.wait_logged(r"worker started \(pid (\d+)\)").group(1))
    pages: list[int | str] = []
    health: list[tuple[int, dict | str]] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            try:
                pages.append(get(f"{started.url}/accounts/login/")[0])
                health.append(get(f"{started.url}/healthz"))
            except OSError as error:
                pages.append(repr(error))
            time.sleep(0.2)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        os.kill(worker_pid, signal.SIGKILL)
        started.wait_logged(
            r"the worker stopped \(killed by SIGKILL\); restarting it in 1 s"
        )
        again = started.wait_logged(r"worker started \(pid (\d+), restart 1\)")
        started.wait_healthy(timeout=120)
    finally:
        done.set()
        poller.join()
    assert int(again.group(1)) != worker_pid
    assert set(pages) == {200}, pages
    assert (503, ["worker"]) in [
        (status, body["down"]) for status, body in health if isinstance(body, dict)
    ]
    assert started.output().count("web app started") == 1
    assert started.process.poll() is None


def test_a_scheduler_that_cannot_start_stops_the_start_command(tmp_path):
    # Folders where the schedule's files should be (one file, or .dat and .dir,
    # depending on Python's dbm module): celery beat cannot open them.
    for name in ("celerybeat-schedule", "celerybeat-schedule.dat"):
        (tmp_path / "var" / name).mkdir(parents=True)
    start = Started(tmp_path)
    try:
        assert start.process.wait(timeout=240) == 1
    finally:
        start.close()
    assert "the scheduler could not start" in start.output()
    assert leftovers(start.port) == b""
