#!/usr/bin/env python3
"""Set up, start and test Catena with nothing but Python 3.11+.

    python3 dev.py start      # venv, deps, migrations, demo data; web app, worker
                              # and scheduler, each restarted when it dies
    python3 dev.py test       # venv, dev deps; the whole suite on every configuration
    python3 dev.py setup      # only the venv and the pinned dependencies

Standard library only: this file runs before any dependency is installed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

from devtools.supervisor import Child, say, supervise

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/catena"
REDIS_URL = "redis://127.0.0.1:6379/15"
MYPY_PATHS = (
    "catena",
    "config",
    "accounts",
    "registry",
    "builder",
    "runner",
    "serving",
)
#: The Python client is its own package, type-checked in strict mode.
CLIENT = ROOT / "client"


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
    # The dev requirements install client/ (editable): its own dependencies count.
    for name in ("requirements.txt", "requirements-dev.txt", "client/pyproject.toml"):
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


def var_dir() -> Path:
    """CATENA_VAR_DIR exactly as the settings read it (environment, .env, default)."""
    code = "from config import settings; print(settings.VAR_DIR)"
    out = subprocess.run(
        [str(PY), "-c", code], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip().splitlines()[-1])


def start(args: argparse.Namespace) -> int:
    ensure_venv(dev=False)
    manage("migrate", "--no-input", "-v", "0")
    manage("catena_setup")
    schedule = var_dir() / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    port = free_port(args.port)
    celery = [str(BIN / "celery"), "-A", "config"]
    worker = ["worker", "-c", str(args.workers), "-l", "INFO", "--without-gossip"]
    # gunicorn with the repository's config (gunicorn.conf.py), not runserver.
    web = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}"]
    children = [
        Child("web app", web, ROOT),
        Child("worker", [*celery, *worker, "--without-mingle"], ROOT),
        Child("scheduler", [*celery, "beat", "-s", str(schedule), "-l", "INFO"], ROOT),
    ]
    for child in children:
        child.spawn()
    say(f"Catena is running at http://127.0.0.1:{port}/  (Ctrl-C stops it)")
    return supervise(children)


# Test ----------------------------------------------------------------------------
#: Production-like settings for `manage.py check --deploy` (no secret of anyone's).
DEPLOY_ENV = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "catena.example.com",
    "CATENA_HTTPS": "true",
    "CATENA_HSTS_SECONDS": "31536000",
    "CATENA_PROXY_SSL_HEADER": "true",
    "CSRF_TRUSTED_ORIGINS": "https://catena.example.com",
    "CATENA_VAR_DIR": "var/check-deploy",
}


def test(args: argparse.Namespace) -> int:
    ensure_venv(dev=True)
    ensure_chromium()
    ensure_iproute2()
    results = {
        "lint (ruff)": lint_check(),
        "types (mypy)": types_check(*MYPY_PATHS),
        "types, client (mypy --strict)": client_types_check(),
        "imports (lint-imports)": imports_check(),
        "deployment checks": deploy_check(),
        "editor build and unit tests": frontend_check(),
    }
    totals = {"passed": 0, "failed": 0, "errors": 0}
    runnable = []
    for name, env, extra in configurations(args.config):
        if env is None:
            results[f"configuration {name}"] = f"FAILED (not run: {extra[0]})"
            continue
        runnable.append((name, env, [*extra, *args.pytest_args]))
    for name, (code, counts) in suites_run(runnable, serial=args.serial).items():
        results[f"configuration {name}"] = pytest_verdict(code, counts)
        for key in totals:
            totals[key] += counts.get(key, 0)
    for name, result in results.items():
        say(f"{name}: {result}")
    bad = totals["failed"] + totals["errors"]
    print(f"total: {totals['passed']} passed, {bad} failed")
    return 0 if all(r == "ok" for r in results.values()) else 1


def step_run(command: list[str | Path], env: dict[str, str] | None = None) -> str:
    code = subprocess.run([str(c) for c in command], cwd=ROOT, env=env).returncode
    return "ok" if code == 0 else f"FAILED (exit code {code})"


def types_check(*paths: str) -> str:
    return step_run([BIN / "mypy", *paths])


def client_types_check(package: Path = CLIENT / "src" / "catena_client") -> str:
    """``mypy --strict`` on the client, with the client's own configuration."""
    config = CLIENT / "pyproject.toml"
    return step_run([BIN / "mypy", "--config-file", config, "--strict", package])


def imports_check(config: str | Path = ROOT / ".importlinter") -> str:
    """The import contracts (layers, no cycles) in ``config`` are all kept."""
    return step_run([BIN / "lint-imports", "--no-logo", config])


def lint_check() -> str:
    check = step_run([BIN / "ruff", "check", "."])
    style = step_run([BIN / "ruff", "format", "--check", "."])
    return "ok" if check == style == "ok" else "FAILED"


def deploy_check() -> str:
    """Django's deployment checklist on production settings, warnings included."""
    env = {**os.environ, **DEPLOY_ENV, "SECRET_KEY": secrets.token_urlsafe(50)}
    env.pop("DATABASE_URL", None)
    command = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    return step_run([PY, *command], env=env)


def pytest_verdict(code: int, counts: dict[str, int]) -> str:
    # Exit code 5 is "no tests collected": a filter or a broken collection that
    # would otherwise look like a clean run.
    if code == 5 or (code == 0 and not counts.get("passed")):
        return "FAILED (no tests ran)"
    return "ok" if code == 0 else f"FAILED (pytest exit code {code})"


def frontend_check() -> str:
    """The editor's unit tests pass and the committed build equals a fresh one."""
    if not shutil.which("npm"):
        return "FAILED (npm is not installed: install Node.js and npm)"
    return step_run(["bash", "frontend/check-build.sh"])


def configurations(which: str) -> list[tuple[str, dict[str, str] | None, list[str]]]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL")
    }
    found: list[tuple[str, dict[str, str] | None, list[str]]] = []
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
        # The pure core does not touch a database or broker, and the several-host
        # test starts PostgreSQL, Redis and SeaweedFS of its own: once is enough.
        found.append(
            (
                "services (PostgreSQL + Redis)",
                env,
                [reason]
                if reason
                else ["--ignore=tests/catena", "--ignore=tests/hosts"],
            )
        )
    return found


def suites_run(
    runs: list[tuple[str, dict[str, str], list[str]]], serial: bool
) -> dict[str, tuple[int, dict[str, int]]]:
    """Run each configuration's suite; side by side unless ``serial``.

    The suites wait on worker processes, servers and a browser far more than they
    compute, so two of them side by side take little longer than one. Each keeps
    its own database, broker, var folder and temporary folder; its output goes to
    ``<var folder>/pytest.log`` and is printed whole when it ends.
    """
    if serial or len(runs) < 2:
        found = {}
        for name, env, extra in runs:
            say(f"configuration {name}: running the suite")
            found[name] = pytest_run(env, extra)
        return found
    logs = {name: ROOT / env["CATENA_VAR_DIR"] / "pytest.log" for name, env, _ in runs}
    found = {}
    with concurrent.futures.ThreadPoolExecutor(len(runs)) as pool:
        futures = {}
        for name, env, extra in runs:
            logs[name].parent.mkdir(parents=True, exist_ok=True)
            say(f"configuration {name}: running the suite (output: {logs[name]})")
            futures[pool.submit(pytest_run, env, extra, logs[name])] = name
        for future in concurrent.futures.as_completed(futures):
            name = futures[future]
            say(f"configuration {name}: finished; its output follows")
            sys.stdout.write(logs[name].read_text(errors="replace"))
            sys.stdout.flush()
            found[name] = future.result()
    return {name: found[name] for name, _, _ in runs}


def pytest_run(
    env: dict[str, str], extra: list[str], log: Path | None = None
) -> tuple[int, dict[str, int]]:
    # --create-db: a test database kept by an earlier run (--reuse-db is the default
    # while working) may hold rows of a run killed mid-test; start from an empty one.
    # Its own temporary folder: another configuration may be running beside it.
    basetemp = ROOT / env.get("CATENA_VAR_DIR", "var") / "pytest-tmp"
    command = [str(PY), "-m", "pytest", "--create-db", f"--basetemp={basetemp}"]
    command += ["--durations=30"]  # the slowest tests, to keep the suite short
    command += extra
    out = log.open("w", buffering=1) if log else None
    # Unbuffered: the log file shows progress while the suite runs.
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if log else None,
        text=True,
    )
    last = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        (out or sys.stdout).write(line)
        if re.search(r"\d+ (passed|failed|error)", line):
            last = line
    code = proc.wait()
    if out:
        out.close()
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


def ensure_iproute2() -> None:
    """The several-host test (tests/hosts) makes network namespaces with ``ip``."""
    if shutil.which("ip"):
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        say("installing Debian's iproute2 for the several-host test")
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "iproute2"],
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    if not shutil.which("ip"):
        say("ip (iproute2) is missing: the several-host test will fail")


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
    p_test.add_argument(
        "--serial",
        action="store_true",
        help="run the configurations one after the other, not side by side",
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
