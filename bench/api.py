"""Benchmark: the 8-node sales chain from the client, through the REST API, against
the same fitted models called directly in this process (issue 15's table).

For each configuration (the embedded default: SQLite + filesystem broker; and
PostgreSQL + Redis) a child process makes a fresh site (demo models and chains),
starts the web app as ``python3 dev.py start`` does (gunicorn with
``gunicorn.conf.py``) and one Celery worker (2 processes), then measures, from
an HTTP client with keep-alive, ``POST /api/runs/`` until
``GET /api/runs/<id>/status`` says it is done:

- 1, 1,000 and 100,000 rows, fresh rows each time (rows in the body up to
  1,000; 100,000 rows through a data set uploaded beforehand, untimed);
- an identical rerun of 1 row (every node reused), and the POST alone;
- the first run after the worker starts (it is stopped and started again each
  time), with warming on (the default) and off (``CATENA_WORKER_WARM=0``);
- how long after the run's end (its ``finished_at``) the client had the answer
  saying so (the same machine's clock);
- direct: the fitted scikit-learn objects behind the registry's versions,
  called by hand (``catena.reference.direct``); every run's output is checked
  against it (to 1e-9 relative).

The median of 5 (``--repeats N``: of N; ``--quick``: of 1). The client waits
for the end as the Python client does, with one request that waits on the
server (``GET /status?wait=15``, which looks again after 1 ms, growing to every
10 ms); ``--poll``: it polls ``/status`` every 2 ms for the first 100 ms, then
every 10 ms (each poll a whole request on the cores the nodes compute on).

    .venv/bin/python bench/api.py [--json] [--quick] [--repeats N] [--poll]
                                  [--only embedded|redis-pg]
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common  # noqa: F401 - puts the repository root on sys.path
from _common import ROOT, emit, parser, table
from _site import demo_install, worker_start, worker_stop

# Overridable so that benchmarks run side by side keep to their own database.
BENCH_DB = os.environ.get("CATENA_BENCH_DB", "catena_speed_bench")
BENCH_REDIS = os.environ.get("CATENA_BENCH_REDIS", "redis://127.0.0.1:6379/13")
CONFIGS = {
    "embedded": {"CELERY_BROKER_URL": "filesystem://"},
    "redis-pg": {
        "CELERY_BROKER_URL": BENCH_REDIS,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}",
    },
}
SIZES = (1, 1_000, 100_000)
INLINE_ROWS = 1_000
NODES = 8
WARMED = re.compile(r"\d+ of \d+ processes warm, [\d/]+ models each, .* in \d+ ms")


# Parent: one child process per configuration -------------------------------------
def main() -> None:
    cli = parser(__doc__ or "")
    cli.add_argument("--only", choices=sorted(CONFIGS))
    cli.add_argument(
        "--repeats", type=int, default=5, help="runs per median (default 5)"
    )
    cli.add_argument(
        "--poll",
        action="store_true",
        help="wait for a run by polling /status (every 2 ms, then 10 ms) instead "
        "of one waiting request (?wait=15)",
    )
    cli.add_argument("--child")
    args = cli.parse_args()
    repeats = 1 if args.quick else max(1, args.repeats)
    if args.child:
        child(args.child, repeats, poll=args.poll)
        return
    names = [args.only] if args.only else list(CONFIGS)
    figures = {name: configuration_run(name, repeats, args.poll) for name in names}
    report(figures)
    emit(figures, args.json)


def configuration_run(name: str, repeats: int, poll: bool) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"catena-bench-api-{name}-"))
    env = {**os.environ, "CATENA_VAR_DIR": str(work)}
    env.pop("DATABASE_URL", None)
    env.update(CONFIGS[name])
    command = [sys.executable, __file__, "--child", name, "--repeats", str(repeats)]
    command += ["--poll"] if poll else []
    print(f"[{name}] measuring (var: {work})", file=sys.stderr, flush=True)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-8:], "var": str(work)}
    shutil.rmtree(work, ignore_errors=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report(figures: dict[str, Any]) -> None:
    ok = {n: f for n, f in figures.items() if "error" not in f}
    for name, f in figures.items():
        if "error" in f:
            print(f"{name}: failed: {f['error']} (kept {f['var']})")
    if not ok:
        return
    first = next(iter(ok.values()))
    rows = [
        [f"{int(size):,}", ms(first["direct_ms"][size])]
        + [api_cell(f, size) for f in ok.values()]
        for size in first["direct_ms"]
    ]
    rows.append(
        [
            "the end seen by the client after the run's end, 1 / 1,000 / 100,000 rows",
            "—",
        ]
        + [
            " / ".join(f"{v:.1f}" for v in f["seen_after_end_ms"].values()) + " ms"
            for f in ok.values()
        ]
    )
    rows.append(
        ["identical rerun, 1 row", "—"]
        + [
            f"{ms(f['rerun_ms'])} (the POST alone: {ms(f['rerun_post_ms'])})"
            for f in ok.values()
        ]
    )
    for mode in ("on", "off"):
        rows.append(
            [f"first run after worker start, 1 row, warming {mode}", "—"]
            + [first_cell(f, mode) for f in ok.values()]
        )
    print(table(["rows", "direct", *ok], rows))
    for name, f in ok.items():
        warmed = f["first_run"]["on"]["warmed"]
        load = ", ".join(f"{x:.1f}" for x in f["load"])
        print(f"{name}: load average {load} at the end; warming on: {warmed}")
    print(
        "Goals (issue 15): <= 2 ms/node over direct at 1 row; <= 1.05x at 100,000 "
        "rows; rerun <= 5 ms; first run after start within 2x of a warm run."
    )


def ms(value: float) -> str:
    return f"{value:,.1f} ms" if value < 1000 else f"{value:,.0f} ms"


def api_cell(f: dict[str, Any], size: str) -> str:
    api, direct = f["api_ms"][size], f["direct_ms"][size]
    if int(size) == 1:
        return f"{ms(api)} ({(api - direct) / NODES:.1f} ms/node over direct)"
    return f"{ms(api)} ({api / direct:.2f}x)"


def first_cell(f: dict[str, Any], mode: str) -> str:
    first = f["first_run"][mode]
    return f"{ms(first['ms'])} (ready {first['start_ms'] / 1000:.1f} s after start)"


# Child: one configuration ----------------------------------------------------------
def child(name: str, repeats: int, *, poll: bool) -> None:
    if name == "redis-pg":
        postgres_database_fresh()
        redis_flush(CONFIGS[name]["CELERY_BROKER_URL"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    say("demo")
    user = demo_install()
    say("web app and worker")
    site = Site(user, poll=poll)
    try:
        result = site.measure(repeats)
    finally:
        site.stop()
    print(json.dumps(result))


def postgres_database_fresh() -> None:
    import psycopg

    admin = "postgres://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


class Site:
    """The web app and a worker on this child's environment, and a client."""

    def __init__(self, user: Any, *, poll: bool = False) -> None:
        import httpx

        from accounts.services import api_token_create

        port = free_port()
        self.web = web_start(port)
        self.worker = worker_start()
        key = api_token_create(user=user, name="bench").key
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Token {key}"},
            timeout=120,
        )
        self.seed = 1000
        self.poll = poll
        self.uploads = 0
        self.elapsed: list[float] = []
        self.seen_at = 0.0
        #: How long after the run's end (its finished_at) the client saw it.
        self.after_end: list[float] = []

    def stop(self) -> None:
        worker_stop(self.worker)
        self.web.terminate()
        self.web.wait(timeout=30)

    def measure(self, repeats: int) -> dict[str, Any]:
        from catena.reference import synthetic_sales

        estimators = direct_estimators()
        result: dict[str, Any] = {"api_ms": {}, "direct_ms": {}, "nodes": NODES}
        result["client"] = "poll" if self.poll else "wait"
        for size in SIZES:
            say(f"{size} rows")
            frames = [self.frame(size) for _ in range(repeats + 2)]
            result["direct_ms"][str(size)] = direct_ms(estimators, frames[2:])
            times = [self.run_timed(f, estimators)[0] for f in frames]
            result["api_ms"][str(size)] = median_ms(times[2:])  # 2 warm-ups
            # The server's received -> finished, as /status reports it.
            result.setdefault("server_ms", {})[str(size)] = median_ms(
                self.elapsed[-repeats:]
            )
            result.setdefault("seen_after_end_ms", {})[str(size)] = median_ms(
                self.after_end[-repeats:]
            )
        say("identical reruns")
        rows = records(synthetic_sales(1, seed=7)[0])
        self.run_timed(synthetic_sales(1, seed=7)[0], estimators)
        reruns = [self.rerun_timed(rows) for _ in range(repeats)]
        result["rerun_ms"] = median_ms([r[0] for r in reruns])
        result["rerun_post_ms"] = median_ms([r[1] for r in reruns])
        result["first_run"] = {
            mode: self.first_runs(mode, repeats, estimators) for mode in ("on", "off")
        }
        result["load"] = os.getloadavg()
        return result

    def frame(self, size: int) -> Any:
        from catena.reference import synthetic_sales

        self.seed += 1
        return synthetic_sales(size, seed=self.seed)[0]

    def run_timed(self, frame: Any, estimators: dict[str, Any]) -> tuple[float, int]:
        body = self.body(frame)
        start = time.perf_counter()
        answer = self.client.post("/api/runs/", json=body)
        ok(answer)
        run = answer.json()
        self.wait_done(run)
        seconds = time.perf_counter() - start
        self.check_output(run["id"], frame, estimators)
        self.after_end_note(run["id"])
        return seconds, run["id"]

    def after_end_note(self, run_id: int) -> None:
        """How long after the run's end (as the run records it; the same
        machine's clock) the client had the answer that it ended."""
        from datetime import datetime

        detail = self.client.get(f"/api/runs/{run_id}/").json()
        finished = datetime.fromisoformat(detail["finished_at"]).timestamp()
        self.after_end.append(self.seen_at - finished)

    def body(self, frame: Any) -> dict[str, Any]:
        if len(frame) <= INLINE_ROWS:
            return {"chain": "sales-stacked", "rows": records(frame)}
        # Too many rows for a body: a data set, uploaded before the clock starts.
        data = io.BytesIO()
        frame.to_parquet(data)
        self.uploads += 1
        files = {"file": (f"bench-{self.uploads}.parquet", data.getvalue())}
        name = {"name": f"bench-{self.uploads}"}
        answer = self.client.post("/api/datasets/", data=name, files=files)
        ok(answer)
        return {"chain": "sales-stacked", "dataset": answer.json()["id"]}

    def wait_done(self, run: dict[str, Any]) -> None:
        """Wait until the run is done (one waiting request, or polls); note the
        server's own elapsed time."""
        status = run
        path = f"/api/runs/{run['id']}/status"
        polls = 0
        while status["status"] not in ("succeeded", "failed", "cancelled"):
            if self.poll:
                time.sleep(0.002 if polls < 50 else 0.01)
                polls += 1
                status = self.client.get(path).json()
            else:
                status = self.client.get(path, params={"wait": 15}).json()
        self.seen_at = time.time()
        if status["status"] != "succeeded":
            raise RuntimeError(f"run {run['id']}: {status}")
        if "elapsed" in status:
            self.elapsed.append(status["elapsed"])

    def rerun_timed(self, rows: list[dict[str, Any]]) -> tuple[float, float]:
        start = time.perf_counter()
        answer = self.client.post(
            "/api/runs/", json={"chain": "sales-stacked", "rows": rows}
        )
        posted = time.perf_counter() - start
        ok(answer)
        self.wait_done(answer.json())
        return time.perf_counter() - start, posted

    def check_output(self, run_id: int, frame: Any, estimators: dict[str, Any]) -> None:
        import numpy as np
        import pandas as pd

        from catena.reference import direct

        answer = self.client.get(f"/api/runs/{run_id}/nodes/out/output?format=parquet")
        ok(answer)
        got = pd.read_parquet(io.BytesIO(answer.content)).iloc[:, -1].to_numpy()
        want = direct(estimators, frame)
        if not np.allclose(got, want, rtol=1e-9, atol=1e-12):
            raise RuntimeError(f"run {run_id}: output differs from direct calls")

    def first_runs(
        self, mode: str, repeats: int, estimators: dict[str, Any]
    ) -> dict[str, Any]:
        times, starts, warmed = [], [], ""
        say(f"first runs after the worker starts, warming {mode}")
        for _ in range(repeats):
            worker_stop(self.worker)
            os.environ["CATENA_WORKER_WARM"] = "1" if mode == "on" else "0"
            launched = time.perf_counter()
            self.worker = worker_start()
            starts.append(time.perf_counter() - launched)
            times.append(self.run_timed(self.frame(1), estimators)[0])
            log = (Path(os.environ["CATENA_VAR_DIR"]) / "worker.log").read_text()
            found = WARMED.search(log)
            warmed = found.group(0) if found and mode == "on" else ""
        os.environ.pop("CATENA_WORKER_WARM", None)
        return {"ms": median_ms(times), "start_ms": median_ms(starts), "warmed": warmed}


def say(what: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {what}", file=sys.stderr, flush=True)


def ok(answer: Any) -> None:
    if answer.is_error:
        raise RuntimeError(f"{answer.request.url}: {answer.status_code} {answer.text}")


def records(frame: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(frame.to_json(orient="records"))
    return found


def median_ms(seconds: list[float]) -> float:
    return round(statistics.median(seconds) * 1000, 2)


def direct_estimators() -> dict[str, Any]:
    """The scikit-learn objects of the versions the chain runs, by node id."""
    from catena.reference import MODELS
    from registry.resolver import load_version
    from registry.selectors import version_by_reference

    loaded = {
        node: load_version(version_by_reference(name=name, reference="@latest"))
        for node, name in MODELS.items()
    }
    return {node: adapter.estimator for node, adapter in loaded.items()}


def direct_ms(estimators: dict[str, Any], frames: list[Any]) -> float:
    from catena.reference import direct

    direct(estimators, frames[0])
    times = []
    for frame in frames:
        start = time.perf_counter()
        direct(estimators, frame)
        times.append(time.perf_counter() - start)
    return median_ms(times)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def web_start(port: int) -> subprocess.Popen[bytes]:
    """gunicorn with the repository's settings, as ``dev.py start`` runs it."""
    log = open(Path(os.environ["CATENA_VAR_DIR"]) / "web.log", "w")  # noqa: SIM115
    env = {**os.environ, "CATENA_BIND": f"127.0.0.1:{port}"}
    web = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return web
        except OSError:
            if time.monotonic() > deadline or web.poll() is not None:
                raise RuntimeError("the web app did not start") from None
            time.sleep(0.2)


if __name__ == "__main__":
    main()
