"""The README's first command starts the web app and a worker; Ctrl-C stops both."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.worker]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.load(response)
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"not healthy: {url}")


def wait_logged(path: Path, text: str, proc: subprocess.Popen, timeout: float) -> None:
    """Wait until ``text`` is in the log: the worker may come up after the web app."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if text in path.read_text():
            return
        time.sleep(0.5)
    raise AssertionError(f"{text!r} never appeared in {path}")


def test_start_serves_the_app_and_ctrl_c_stops_everything(tmp_path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL")
    }
    env["CATENA_VAR_DIR"] = str(tmp_path / "var")
    log = open(tmp_path / "start.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "dev.py", "start", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        health = wait_healthy(f"http://127.0.0.1:{port}/healthz", proc, 240)
        wait_logged(tmp_path / "start.log", " ready.", proc, 120)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    output = (tmp_path / "start.log").read_text()
    assert health == {"status": "ok"}
    assert "Created the superuser 'admin' with password:" in output
    assert f"Catena is running at http://127.0.0.1:{port}/" in output
    assert " ready." in output  # the worker came up
    leftovers = subprocess.run(
        ["pgrep", "-f", f"runserver 127.0.0.1:{port}"], capture_output=True
    )
    assert leftovers.stdout == b""
