"""Supervision for `python3 dev.py start`: each process restarted when it dies.

Standard library only, like dev.py: this runs before any dependency is installed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path


def say(message: str) -> None:
    print(f"\033[1m[catena]\033[0m {message}", flush=True)


#: A dead process is started again after 1, 2, 4 … seconds, at most this long.
BACKOFF_MAX = 30.0
#: A process up this long is healthy again: its next restart waits 1 s.
BACKOFF_RESET_SECONDS = 60.0
#: The scheduler dying this soon after its first start is a setup error, not a crash.
#: Generous: on a loaded machine celery beat takes well over 20 s to import Django
#: and fail, and was then restarted forever instead of stopping Catena.
SCHEDULER_START_SECONDS = 120.0
#: How long a process may take to stop (a worker finishing its task) before it
#: is killed; a second Ctrl-C kills it at once.
STOP_SECONDS = 30.0


class Child:
    """One supervised process: started again with backoff whenever it dies."""

    def __init__(self, name: str, command: list[str], cwd: Path) -> None:
        self.name = name
        self.command = command
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.starts = 0
        self.delay = 1.0
        self.due: float | None = None

    def spawn(self) -> None:
        # A session of its own: Ctrl-C reaches only this script, which then
        # stops the web server first and lets the worker finish its current task.
        self.process = subprocess.Popen(
            self.command, cwd=self.cwd, start_new_session=True
        )
        self.started = time.monotonic()
        self.starts += 1
        again = f", restart {self.starts - 1}" if self.starts > 1 else ""
        say(f"{self.name} started (pid {self.process.pid}{again})")

    def check(self, now: float) -> str:
        """Restart when due; returns "up", "waiting" or "failed to start"."""
        assert self.process is not None
        if self.due is not None:
            if now >= self.due:
                self.due = None
                self.spawn()
            return "waiting"
        code = self.process.poll()
        if code is None:
            if now - self.started > BACKOFF_RESET_SECONDS:
                self.delay = 1.0
            return "up"
        reap_group(self.process.pid)
        if (
            self.name == "scheduler"
            and self.starts == 1
            and (now - self.started < SCHEDULER_START_SECONDS)
        ):
            return "failed to start"
        say(
            f"the {self.name} stopped ({exit_reason(code)}); "
            f"restarting it in {self.delay:g} s"
        )
        self.due = now + self.delay
        self.delay = min(self.delay * 2, BACKOFF_MAX)
        return "waiting"


def exit_reason(code: int) -> str:
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def reap_group(pgid: int) -> None:
    """Kill what a dead leader left in its group (a worker's pool processes)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def interrupt(signum: int, frame: object) -> None:
    # From now on a signal hurries the stop: set before anything else runs, so
    # a second Ctrl-C, however soon, cannot abort the stop and leave the worker
    # and the scheduler running.
    signal.signal(signal.SIGINT, hurry)
    signal.signal(signal.SIGTERM, hurry)
    raise KeyboardInterrupt


class _Hurry:
    """Set by a second Ctrl-C or SIGTERM while stopping: kill what is left."""

    now = False
    said = False


def hurry(signum: int, frame: object) -> None:
    # Only a flag: printing here could re-enter a print the stop is in.
    _Hurry.now = True


def supervise(children: list[Child]) -> int:
    # Explicit handlers: a shell that starts this in the background ignores SIGINT.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    code = 0
    try:
        while True:
            states = {c.name: c.check(time.monotonic()) for c in children}
            if "failed to start" in states.values():
                say(
                    "the scheduler could not start (its output is above), so lost "
                    "work would never be recovered: stopping Catena"
                )
                code = 1
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("stopping the web app, the scheduler and the worker")
    signal.signal(signal.SIGINT, hurry)  # also when stopping for another reason
    signal.signal(signal.SIGTERM, hurry)
    for child in children:
        if child.process is not None:
            stop(child.process)
    return code


def stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is not None:
        reap_group(child.pid)
        return
    child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while child.poll() is None and time.monotonic() < deadline and not _Hurry.now:
        time.sleep(0.1)
    if child.poll() is None:
        if _Hurry.now and not _Hurry.said:
            _Hurry.said = True
            say("asked again: killing what is still running")
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
