"""Benchmark: the demo sales chain served over HTTP, against its limits.

In a fresh embedded Catena (SQLite, under a temporary CATENA_VAR_DIR) with the
demo models and ``sales-stacked`` live, this starts the web app under gunicorn
(``gunicorn.conf.py``, 2 worker processes) and, for 1 and 100 rows per
request at concurrency 1 and 8, measures p50/p99 latency and throughput of:

- **direct**: the same scikit-learn objects called in this process (the limit);
- **bare-drf**: a DRF view in the same gunicorn calling those objects by hand
  (``bench/serve_app.py``: parsing, token auth and rendering, no chain machinery);
- **catena**: ``POST /api/chains/sales-stacked/predict``;
- **catena-v2**: ``POST /v2/models/sales-stacked/infer`` (Open Inference Protocol);
- **catena-logged**, **catena-shadow**: the same chain with every request logged,
  and with a shadow version besides (``bench/serve_log.py``);
- **mlserver-v2**: MLServer (own virtualenv, /work/mlserver-venv, built when
  missing) serving the same fitted objects through a custom runtime, same protocol.

It also times the first predict request after the server starts against the
warm p50, and checks that an alias move is visible on the next request.
Goals (issue 13): p50 at 1 row within direct + 2 ms; throughput at
concurrency 8 at least MLServer's; first request within 2x warm p50.

    .venv/bin/python bench/serve.py [--json] [--quick] [--no-mlserver]
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import _common  # noqa: F401 - puts the repository root on sys.path
import serve_log
from _common import ROOT, emit, parser, table

MLSERVER_VENV = Path(os.environ.get("CATENA_MLSERVER_VENV", "/work/mlserver-venv"))
MLSERVER_PINS = ["mlserver", "scikit-learn==1.9.1", "numpy==2.4.6", "pandas==3.1.1"]
CELLS = [(1, 1), (1, 8), (100, 1), (100, 8)]  # (rows, concurrency)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# Setup ---------------------------------------------------------------------------
def django_setup(work: Path) -> dict[str, Any]:
    """Migrate, install the demo, set the chain live; return token and models."""
    os.environ["CATENA_VAR_DIR"] = str(work)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.serve_app"
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.services import api_token_create
    from builder.demo import demo_chains_install
    from builder.models import Chain
    from builder.services import chain_live_set
    from registry.demo import demo_models_install

    user = get_user_model().objects.create(username="bench", is_staff=True)
    demo_models_install(user=user)
    demo_chains_install(user=user)
    chain_live_set(chain=Chain.objects.get(name="sales-stacked"), number=1, user=user)
    serve_log.logged_chains_install(user=user)
    return {"user": user, "token": api_token_create(user=user).key}


def estimators() -> dict[str, Any]:
    from bench.serve_app import _estimators

    return _estimators()


def wait_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import requests

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError(f"{url} never answered:\n{log.read_text()[-3000:]}")


def gunicorn_start(work: Path, port: int) -> subprocess.Popen[bytes]:
    log = work / "gunicorn.log"
    env = {**os.environ, "CATENA_WEB_WORKERS": "2"}
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
        + ["-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=open(log, "w"),  # noqa: SIM115 - lives as long as the server
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def mlserver_start(work: Path, fitted: dict[str, Any]) -> tuple[Any, int]:
    if not (MLSERVER_VENV / "bin" / "mlserver").exists():
        subprocess.run([sys.executable, "-m", "venv", str(MLSERVER_VENV)], check=True)
        pip = [str(MLSERVER_VENV / "bin" / "pip"), "install", "-q", *MLSERVER_PINS]
        subprocess.run(pip, check=True)
    folder = work / "mlserver" / "sales"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "bench" / "mlserver_runtime.py", folder / "runtime.py")
    (folder / "estimators.pkl").write_bytes(pickle.dumps(fitted))
    settings = {"name": "sales", "implementation": "runtime.SalesChain"}
    (folder / "model-settings.json").write_text(json.dumps(settings))
    port = free_port()
    server = {
        "http_port": port,
        "grpc_port": free_port(),
        "metrics_port": free_port(),
        "parallel_workers": 0,
    }
    (work / "mlserver" / "settings.json").write_text(json.dumps(server))
    log = work / "mlserver.log"
    process = subprocess.Popen(
        [str(MLSERVER_VENV / "bin" / "mlserver"), "start", str(work / "mlserver")],
        cwd=work / "mlserver",
        stdout=open(log, "w"),  # noqa: SIM115 - lives as long as the server
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_http(f"http://127.0.0.1:{port}/v2/health/ready", process, log)
    ready = f"http://127.0.0.1:{port}/v2/models/sales/ready"
    deadline = time.monotonic() + 120
    while not _ok(ready):
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(log.read_text()[-3000:])
        time.sleep(0.2)
    return process, port


def _ok(url: str) -> bool:
    import requests

    try:
        return bool(requests.get(url, timeout=2).ok)
    except requests.RequestException:
        return False


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


# Bodies and load -----------------------------------------------------------------
def rows_of(n: int) -> list[dict[str, Any]]:
    from catena.reference import synthetic_sales

    data, _ = synthetic_sales(n, seed=42)
    return data.to_dict("records")  # type: ignore[no-any-return]


def v2_body(rows: list[dict[str, Any]]) -> dict[str, Any]:
    import pandas as pd

    from catena.v2 import encode_request

    return encode_request(pd.DataFrame(rows))


def load(call: Any, concurrency: int, total: int) -> dict[str, float]:
    """``total`` calls shared by ``concurrency`` threads: p50/p99 ms, requests/s."""
    latencies: list[float] = []
    lock = threading.Lock()
    per = max(total // concurrency, 1)

    def worker() -> None:
        state: dict[str, Any] = {}
        mine = []
        for _ in range(per):
            start = time.perf_counter()
            call(state)
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "rps": len(latencies) / wall,
    }


def http_call(url: str, body: dict[str, Any], token: str | None) -> Any:
    import requests

    headers = {"Authorization": f"Token {token}"} if token else {}

    def call(state: dict[str, Any]) -> None:
        session = state.setdefault("session", requests.Session())
        response = session.post(url, json=body, headers=headers, timeout=60)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")

    return call


def targets(
    rows: list[dict[str, Any]], urls: dict[str, str], token: str, fitted: Any
) -> dict[str, Any]:
    import pandas as pd

    from catena.reference import direct

    frame = pd.DataFrame(rows)
    found: dict[str, Any] = {"direct": lambda state: direct(fitted, frame)}
    body, v2 = {"rows": rows}, v2_body(rows)
    found["bare-drf"] = http_call(urls["bare-drf"], body, token)
    found["catena"] = http_call(urls["catena"], body, token)
    for name in serve_log.URLS:
        found[name] = http_call(urls[name], body, token)
    found["catena-v2"] = http_call(urls["catena-v2"], v2, token)
    if "mlserver-v2" in urls:
        found["mlserver-v2"] = http_call(urls["mlserver-v2"], v2, None)
    return found


# Measurements --------------------------------------------------------------------
def first_request(work: Path, token: str) -> tuple[subprocess.Popen[bytes], int, float]:
    """Start gunicorn; time its first predict request once it accepts connections."""
    import requests

    port = free_port()
    process = gunicorn_start(work, port)
    log = work / "gunicorn.log"
    deadline = time.monotonic() + 180
    while "live chains warm in this process" not in log.read_text():
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(log.read_text()[-3000:])
        time.sleep(0.05)
    # Both workers warm before the first request (each logs once).
    while log.read_text().count("live chains warm in this process") < 2:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}/api/chains/sales-stacked/predict"
    # The client is ready before the clock starts, as it is for the warm figures.
    session, body = requests.Session(), {"rows": rows_of(1)}
    headers = {"Authorization": f"Token {token}"}
    start = time.perf_counter()
    response = session.post(url, json=body, headers=headers, timeout=60)
    seconds = time.perf_counter() - start
    assert response.status_code == 200, response.text
    return process, port, seconds


def alias_move_visible(port: int, token: str, user: Any) -> bool:
    """Upload a changed stacker, move @production to it: does the next answer change?"""
    import requests
    from django.core.files.uploadedfile import SimpleUploadedFile

    from registry.demo import skops_bytes
    from registry.models import RegisteredModel
    from registry.services import model_version_create
    from registry.services.aliases import alias_set

    model = RegisteredModel.objects.get(name="sales-stacker")
    stacker = pickle.loads(pickle.dumps(estimators()["stack"]))
    stacker.intercept_ = stacker.intercept_ + 100.0
    upload = SimpleUploadedFile("stacker.skops", skops_bytes(stacker))
    version = model_version_create(model=model, file=upload, uploaded_by=user)
    url = f"http://127.0.0.1:{port}/api/chains/sales-stacked/predict"
    headers = {"Authorization": f"Token {token}"}
    before = requests.post(url, json={"rows": rows_of(1)}, headers=headers).json()
    alias_set(model=model, alias="production", number=version.number, user=user)
    after = requests.post(url, json={"rows": rows_of(1)}, headers=headers).json()
    used = {m["node"]: m["version"] for m in after["models"]}
    moved = after["rows"][0]["prediction"] - before["rows"][0]["prediction"]
    alias_set(model=model, alias="production", number=1, user=user, force=True)
    return used["stack"] == version.number and abs(moved - 100.0) < 1e-6


def measure(args: Any) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="catena-bench-serve-"))
    setup = django_setup(work)
    token, fitted = setup["token"], estimators()
    processes = []
    try:
        web, port, first = first_request(work, token)
        processes.append(web)
        base = f"http://127.0.0.1:{port}"
        urls = {
            "bare-drf": f"{base}/bench/bare",
            "catena": f"{base}/api/chains/sales-stacked/predict",
            "catena-v2": f"{base}/v2/models/sales-stacked/infer",
        } | {name: base + path for name, path in serve_log.URLS.items()}
        if not args.no_mlserver:
            mlserver, mport = mlserver_start(work, fitted)
            processes.append(mlserver)
            urls["mlserver-v2"] = f"http://127.0.0.1:{mport}/v2/models/sales/infer"
        total = 60 if args.quick else 400
        cells: dict[str, Any] = {}
        for rows, concurrency in CELLS:
            found = targets(rows_of(rows), urls, token, fitted)
            for call in found.values():  # warm every connection path once
                load(call, concurrency, concurrency * 3)
            cells[f"{rows}x{concurrency}"] = {
                name: load(call, concurrency, total) for name, call in found.items()
            }
        visible = alias_move_visible(port, token, setup["user"])
    finally:
        for process in processes:
            stop(process)
    shutil.rmtree(work, ignore_errors=True)
    warm = cells["1x1"]["catena"]["p50_ms"]
    return {
        "cells": cells,
        "first_request_ms": first * 1000,
        "warm_p50_ms": warm,
        "alias_move_visible": visible,
    }


def report(figures: dict[str, Any]) -> None:
    rows = []
    for cell, found in figures["cells"].items():
        size, concurrency = cell.split("x")
        for name, m in found.items():
            rows.append([size, concurrency, name, m["p50_ms"], m["p99_ms"], m["rps"]])
    print(table(["rows", "conc", "target", "p50 ms", "p99 ms", "req/s"], rows))
    one = figures["cells"]["1x1"]
    eight = figures["cells"]["1x8"]
    print()
    print(
        f"p50 at 1 row: catena {one['catena']['p50_ms']:.2f} ms, direct "
        f"{one['direct']['p50_ms']:.2f} ms (goal: within +2 ms)"
    )
    if "mlserver-v2" in eight:
        print(
            f"throughput at 1 row x 8: catena {eight['catena']['rps']:.0f}/s, "
            f"catena-v2 {eight['catena-v2']['rps']:.0f}/s, mlserver "
            f"{eight['mlserver-v2']['rps']:.0f}/s (goal: >= mlserver)"
        )
    print(
        f"first request after start: {figures['first_request_ms']:.2f} ms, warm p50 "
        f"{figures['warm_p50_ms']:.2f} ms (goal: within 2x)"
    )
    print(f"alias move visible on the next request: {figures['alias_move_visible']}")


def main() -> None:
    cli = parser(__doc__ or "")
    cli.add_argument("--no-mlserver", action="store_true", help="skip MLServer")
    args = cli.parse_args()
    figures = measure(args)
    report(figures)
    emit(figures, args.json)


if __name__ == "__main__":
    main()
