"""How long one task hop takes on each broker Catena can use.

A runner hop is "a node finished, enqueue the next, a worker picks it up". This
starts a real worker per broker, sends a chain of N hops and reports the median
time between consecutive hops.

    .venv/bin/python bench/broker.py            # table
    .venv/bin/python bench/broker.py --json     # ... and one JSON object last
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _site import worker_stop  # noqa: E402 - after the repository is on the path

#: Catena's filesystem transport: atomic messages, a worker woken by inotify.
CATENA = "runner.broker:FilesystemTransport"
BROKERS = {
    "filesystem, Catena's transport, 10 ms poll (default)": (
        "filesystem://",
        "0.01",
        CATENA,
    ),
    "filesystem, kombu's transport, 10 ms poll": ("filesystem://", "0.01", ""),
    "filesystem, kombu's transport, 100 ms poll": ("filesystem://", "0.1", ""),
    "redis (server)": ("redis://127.0.0.1:6379/14", "1", ""),
    "sqlalchemy on sqlite, 1 s poll": ("sqla+sqlite:///{dir}/broker.sqlite3", "1", ""),
}


def measure(
    url: str, poll: str, hops: int, transport: str = "", concurrency: int = 2
) -> list[float] | str:
    work = Path(tempfile.mkdtemp(prefix="catena-bench-broker-"))
    for sub in ("queue", "control"):
        (work / sub).mkdir()
    env = {
        **os.environ,
        "BENCH_BROKER_URL": url.format(dir=work),
        "BENCH_BROKER_DIR": str(work),
        "BENCH_POLL_SECONDS": poll,
        "BENCH_BROKER_TRANSPORT": transport,
    }
    if url.startswith("sqla") and not _has("sqlalchemy"):
        return "sqlalchemy is not installed (pip install sqlalchemy to include it)"
    if url.startswith("redis"):
        _redis_flush(url)
    log = work / "hops.log"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "bench.broker_app",
            "worker",
            "-c",
            str(concurrency),
            "-l",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        return _send_and_wait(env, log, hops)
    finally:
        worker_stop(worker)
        shutil.rmtree(work, ignore_errors=True)


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def _send_and_wait(env: dict[str, str], log: Path, hops: int) -> list[float] | str:
    time.sleep(3)  # let the worker connect before the clock starts
    send = f"from bench.broker_app import hop; hop.delay({str(log)!r}, {hops})"
    subprocess.run([sys.executable, "-c", send], cwd=ROOT, env=env, check=True)
    deadline = time.monotonic() + hops * 3 + 20
    while time.monotonic() < deadline:
        stamps = log.read_text().split() if log.exists() else []
        if len(stamps) >= hops:
            times = [float(s) for s in stamps]
            return [b - a for a, b in zip(times, times[1:], strict=False)]
        time.sleep(0.05)
    return "timed out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hops", type=int, default=40)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=2,
        help="worker processes (2, as dev.py starts; with 1 the worker takes the "
        "next hop only once the task that sent it is acknowledged)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures: dict[str, object] = {}
    print(f"{'broker':54} {'median ms/hop':>14} {'p90 ms/hop':>11}")
    for name, (url, poll, transport) in BROKERS.items():
        result = measure(url, poll, args.hops, transport, args.concurrency)
        if isinstance(result, str):
            print(f"{name:54} {'skipped: ' + result}")
            figures[name] = {"skipped": result}
            continue
        median = statistics.median(result) * 1000
        p90 = statistics.quantiles(result, n=10)[-1] * 1000
        print(f"{name:54} {median:14.1f} {p90:11.1f}")
        figures[name] = {"median_ms": round(median, 2), "p90_ms": round(p90, 2)}
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
