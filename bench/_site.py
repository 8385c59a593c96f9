"""What the benchmarks that run a whole Catena site share: demo data and a worker.

Call these after ``django.setup()`` in a child process whose ``CATENA_VAR_DIR``
is a fresh folder of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import ROOT


def demo_install() -> Any:
    """The demo models and chains, owned by a staff user ``bench``; the user."""
    from django.contrib.auth import get_user_model

    from builder.demo import demo_chains_install
    from registry.demo import demo_models_install

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True}
    )
    demo_models_install(user=user)
    demo_chains_install(user=user)
    return user


def worker_start() -> subprocess.Popen[bytes]:
    """A real Celery worker (2 processes) on this environment, once it is ready."""
    log = Path(os.environ["CATENA_VAR_DIR"]) / "worker.log"
    handle = open(log, "w")  # noqa: SIM115 - lives as long as the worker
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-c", "2"]
        + ["-l", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while " ready." not in log.read_text():
        if time.monotonic() > deadline or worker.poll() is not None:
            raise RuntimeError(log.read_text())
        time.sleep(0.1)
    return worker


def worker_stop(worker: subprocess.Popen[bytes]) -> None:
    """Stop the worker as the start command does, SIGTERM to it alone (it stops
    its pool); its whole process group killed after 30 s. (SIGTERM to the group
    also kills pool processes, one of which may hold the pool's queue lock: the
    worker then waits for it forever.)"""
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def embedded_child(script: str, name: str, quick: bool) -> dict[str, Any]:
    """Run ``script --child`` on a fresh embedded site; the JSON it printed last.

    The child gets a var folder of its own (SQLite, filesystem broker), removed
    when it succeeded and kept, for its worker.log, when it failed.
    """
    work = Path(tempfile.mkdtemp(prefix=f"catena-bench-{name}-"))
    env = {
        **os.environ,
        "CATENA_VAR_DIR": str(work),
        "CELERY_BROKER_URL": "filesystem://",
    }
    env.pop("DATABASE_URL", None)
    command = [sys.executable, script, "--child"] + (["--quick"] if quick else [])
    print(f"measuring (var: {work})", file=sys.stderr, flush=True)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"failed; kept {work} for its worker.log")
    shutil.rmtree(work, ignore_errors=True)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures
