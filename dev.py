#!/usr/bin/env python3
"""Set up, start and test Catena with nothing but Python 3.11+.

    python3 dev.py start      # venv, deps, migrations, demo data; web app + worker
    python3 dev.py test       # venv, dev deps; the whole suite on every configuration
    python3 dev.py setup      # only the venv and the pinned dependencies

Standard library only: this file runs before any dependency is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/catena"
REDIS_URL = "redis://127.0.0.1:6379/15"
MYPY_PATHS = ("catena", "config", "registry", "builder", "runner")


def say(message: str) -> None:
    print(f"\033[1m[catena]\033[0m {message}", flush=True)


def run(*command: str | Path, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(c) for c in command], cwd=ROOT, env=env, check=True)


# Setup ---------------------------------------------------------------------------
def ensure_venv(dev: bool) -> None:
    """Create .venv and install the pinned requirements when they changed."""
    if not PY.exists():
        say("creating the virtual environment in .venv/")
        venv.EnvBuilder(with_pip=True).create(VENV)
    requirements = ROOT / ("requirements-dev.txt" if dev else "requirements.txt")
    stamp = VENV / f".installed-{requirements.stem}"
    digest = requirements_digest()
    # The dev requirements include the runtime ones: either stamp will do for start.
    stamps = [stamp] if dev else [stamp, VENV / ".installed-requirements-dev"]
    if any(s.exists() and s.read_text() == digest for s in stamps):
        return
    say(f"installing {requirements.name} (first run takes a minute or two)")
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-r", requirements)
    stamp.write_text(digest)


def requirements_digest() -> str:
    sha = hashlib.sha256()
    for name in ("requirements.txt", "requirements-dev.txt"):
        sha.update((ROOT / name).read_bytes())
    return sha.hexdigest()


def manage(*args: str, env: dict[str, str] | None = None) -> None:
    run(PY, "manage.py", *args, env=env)


# Start ---------------------------------------------------------------------------
def free_port(preferred: int) -> int:
    for port in range(preferred, preferred + 50):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return port
    sys.exit(f"No free port between {preferred} and {preferred + 49}.")


def start(args: argparse.Namespace) -> int:
    ensure_venv(dev=False)
    manage("migrate", "--no-input", "-v", "0")
    manage("catena_setup")
    port = free_port(args.port)
    worker = spawn(
        BIN / "celery",
        "-A",
        "config",
        "worker",
        "-B",
        "-c",
        str(args.workers),
        "-s",
        str(ROOT / "var" / "celerybeat-schedule"),
        "-l",
        "INFO",
        "--without-gossip",
        "--without-mingle",
    )
    web = spawn(PY, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload")
    say(f"Catena is running at http://127.0.0.1:{port}/  (Ctrl-C stops it)")
    return supervise([web, worker])


def spawn(*command: str | Path) -> subprocess.Popen[bytes]:
    # A session of their own: Ctrl-C reaches only this script, which then stops
    # the web server first and lets the worker finish its current task.
    return subprocess.Popen([str(c) for c in command], cwd=ROOT, start_new_session=True)


def interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def supervise(children: list[subprocess.Popen[bytes]]) -> int:
    # Explicit handlers: a shell that starts this in the background ignores SIGINT.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        say("a process stopped on its own; stopping the others")
        code = 1
    except KeyboardInterrupt:
        say("stopping the web app and the worker")
        code = 0
    for child in children:
        stop(child)
    return code


def stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()


# Test ----------------------------------------------------------------------------
def test(args: argparse.Namespace) -> int:
    ensure_venv(dev=True)
    ensure_chromium()
    lint = subprocess.run([BIN / "ruff", "check", "."], cwd=ROOT).returncode
    lint |= subprocess.run(
        [BIN / "ruff", "format", "--check", "."], cwd=ROOT
    ).returncode
    totals = {"passed": 0, "failed": 0, "errors": 0}
    failed = lint != 0
    frontend = frontend_check()
    failed |= frontend == "FAILED"
    for name, env, extra in configurations(args.config):
        if env is None:
            say(f"configuration {name}: SKIPPED, {extra[0]}")
            continue
        say(f"configuration {name}: running the suite")
        code, counts = pytest_run(env, [*extra, *args.pytest_args])
        failed |= code != 0
        for key in totals:
            totals[key] += counts.get(key, 0)
    say("lint and types: " + ("ok" if lint == 0 else "FAILED (ruff or mypy)"))
    say(f"editor build and unit tests: {frontend}")
    bad = totals["failed"] + totals["errors"]
    print(f"total: {totals['passed']} passed, {bad} failed")
    return 1 if failed else 0


def frontend_check() -> str:
    """The editor's unit tests pass and the committed build equals a fresh one."""
    if not shutil.which("npm"):
        say("editor build check: SKIPPED, npm is not installed")
        return "SKIPPED (no npm)"
    code = subprocess.run(["bash", "frontend/check-build.sh"], cwd=ROOT).returncode
    return "ok" if code == 0 else "FAILED"


def configurations(which: str) -> list[tuple[str, dict[str, str] | None, list[str]]]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL")
    }
    found = []
    if which in ("all", "embedded"):
        found.append(
            (
                "embedded (SQLite + filesystem broker)",
                {**base, "CATENA_VAR_DIR": "var/test-embedded"},
                [],
            )
        )
    if which in ("all", "services"):
        reason = ensure_services()
        env = (
            None
            if reason
            else {
                **base,
                "DATABASE_URL": POSTGRES_URL,
                "CELERY_BROKER_URL": REDIS_URL,
                "CATENA_VAR_DIR": "var/test-services",
            }
        )
        # The pure core does not touch a database or broker: once is enough.
        found.append(
            (
                "services (PostgreSQL + Redis)",
                env,
                [reason] if reason else ["--ignore=tests/catena"],
            )
        )
    return found


def pytest_run(env: dict[str, str], extra: list[str]) -> tuple[int, dict[str, int]]:
    command = [str(PY), "-m", "pytest", *extra]
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    last = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        if re.search(r"\d+ (passed|failed|error)", line):
            last = line
    code = proc.wait()
    counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|error)", last)}
    counts["errors"] = counts.pop("error", 0)
    return code, counts


def ensure_services() -> str:
    """Start PostgreSQL and Redis when installed but stopped; else say why not."""
    if not port_open(5432):
        if not shutil.which("pg_ctlcluster"):
            return "PostgreSQL is not installed (no pg_ctlcluster)"
        for version in sorted(os.listdir("/etc/postgresql")):
            subprocess.run(
                [
                    "pg_ctlcluster",
                    "--skip-systemctl-redirect",
                    version,
                    "main",
                    "start",
                ],
                check=False,
            )
    if not port_open(6379):
        if not shutil.which("redis-server"):
            return "Redis is not installed (no redis-server)"
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=False,
        )
    for port, name in ((5432, "PostgreSQL"), (6379, "Redis")):
        if not wait_port(port):
            return f"{name} did not start on port {port}"
    return ""


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_port(port: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return True
        time.sleep(0.3)
    return False


def ensure_chromium() -> None:
    """The browser tests drive Debian's Chromium; install it when missing."""
    if Path("/usr/bin/chromium").exists():
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        say("installing Debian's chromium for the browser tests")
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"],
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    if not Path("/usr/bin/chromium").exists():
        say("/usr/bin/chromium is missing: the browser (e2e) tests will fail")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="set up and start the web app and a worker")
    p_start.add_argument("--port", type=int, default=8000)
    p_start.add_argument("--workers", type=int, default=2, help="worker processes")
    p_test = sub.add_parser("test", help="set up and run the whole test suite")
    p_test.add_argument(
        "--config", choices=["all", "embedded", "services"], default="all"
    )
    p_test.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    sub.add_parser("setup", help="only create .venv with the pinned dependencies")
    args = parser.parse_args()
    if args.command == "start":
        return start(args)
    if args.command == "test":
        return test(args)
    ensure_venv(dev=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
