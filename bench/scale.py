"""Benchmark: Catena grown up — workers on one host or two, object storage or a folder.

Builds hosts from network namespaces on this machine (``tests/hosts``: needs
root and iproute2), with the suite's own PostgreSQL, Redis and SeaweedFS on
the bridge. Two sites run side by side, each with a database of its own:

- **object storage**: gunicorn on host A, workers on B (and C), files in a
  SeaweedFS bucket (``CATENA_STORAGE_URL``), each host its own var folder;
- **local folder**: gunicorn on A and a worker on B sharing one
  ``CATENA_VAR_DIR`` (the one-machine default, on PostgreSQL + Redis).

Every run is the demo ``sales-stacked`` chain (8 nodes) on a fresh data set
of 100,000 rows (so every node computes and writes its output), submitted
through the REST API (``POST /api/runs/``). Measured:

- **per node, object storage vs local folder**: runs one at a time,
  alternating between the two sites (one worker of 2 processes each); each
  node's time from its claim to its output recorded (``started_at`` to
  ``finished_at`` of the node results: reading its parents, computing,
  writing), median per node over the runs;
- **a batch of 20 runs** submitted together: on the local-folder site (one
  host, 2 processes), on object storage with one worker host (B, 2
  processes), and with two worker hosts (B and C, 1 process each: the same
  number of processes, so the ratio shows the cost of spreading over hosts,
  not more cores), from the first POST to the last run's end;
- **direct**: the same scikit-learn models (the demo's, ``fit_reference(0)``)
  called by hand in this process on 100,000 rows, and the chain in the
  in-process executor; a run's output is checked against the direct result.

Goal (issue 16): object storage adds at most 10% per node at 100,000 rows.

    sudo .venv/bin/python bench/scale.py [--json] [--quick]
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import _common  # noqa: F401 - puts the repository root on sys.path
from _common import ROOT, emit, median_seconds, parser, table

ROWS = 100_000
NODES = 8
BATCH, QUICK_BATCH = 20, 5
SEQUENTIAL, QUICK_SEQUENTIAL = 8, 2
WARMUP = 4  # runs submitted together: warms every pool process of a worker
ROUNDS = 2  # of the three batches, one after another
CHAIN = "sales-stacked"


@dataclass
class Site:
    """One Catena site: its web app on host A, its API, its workers."""

    name: str
    env: dict[str, str]
    folder: Path
    api: Any = None
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    seeds: dict[int, int] = field(default_factory=dict)  # data set id -> seed

    def dataset(self) -> int:
        """A fresh data set of ``ROWS`` rows (new rows: every node computes)."""
        from catena.reference import synthetic_sales

        seed = len(self.seeds) + 1 + (0 if "CATENA_STORAGE_URL" in self.env else 500)
        data, _ = synthetic_sales(ROWS, seed=seed)
        buffer = io.BytesIO()
        data.to_parquet(buffer)
        name = f"{self.name}-{seed}"
        files = {"file": (f"{name}.parquet", buffer.getvalue())}
        response = self.api.post("/api/datasets/", files=files, data={"name": name})
        if response.status_code != 201:
            raise RuntimeError(f"upload: {response.status_code} {response.text[:500]}")
        found = int(response.json()["id"])
        self.seeds[found] = seed
        return found

    def submit(self, dataset: int) -> int:
        body = {"chain": CHAIN, "dataset": dataset, "reuse": False}
        response = self.api.post("/api/runs/", json=body)
        if response.status_code != 201:
            raise RuntimeError(f"run: {response.status_code} {response.text[:500]}")
        return int(response.json()["id"])

    def wait(self, run_id: int, timeout: float = 600) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.api.get(f"/api/runs/{run_id}/status").json()
            if not status["active"]:
                run = dict(self.api.get(f"/api/runs/{run_id}/").json())
                if run["status"] != "succeeded":
                    raise RuntimeError(f"{self.name} run {run_id}: {run['error']}")
                return run
            # Figures come from the recorded times: slow polling costs nothing.
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} run {run_id} did not finish")


# Parent ------------------------------------------------------------------------------
def main() -> None:
    args = parser(__doc__ or "").parse_args()
    from tests.hosts.netns import iproute2_check

    try:
        iproute2_check()
    except RuntimeError as exc:
        message = f"bench/scale.py builds hosts from network namespaces: {exc}"
        raise SystemExit(message) from exc
    figures = measure(args.quick)
    report(figures)
    emit(figures, args.json)


def measure(quick: bool) -> dict[str, Any]:
    batch = QUICK_BATCH if quick else BATCH
    sequential = QUICK_SEQUENTIAL if quick else SEQUENTIAL
    rounds = 1 if quick else ROUNDS
    direct_ms, executor_ms, expected = direct_times(3 if quick else 7)
    folder = Path(tempfile.mkdtemp(prefix="catena-bench-scale-"))
    print(f"measuring (folder: {folder})", file=sys.stderr, flush=True)
    with cluster_up(folder) as cluster:
        calls = storage_calls(cluster, folder, 5 if quick else 15)
        s3 = site_start(cluster, "s3", folder, port=8000, storage=True)
        local = site_start(cluster, "local", folder, port=8001, storage=False)
        worker_start(cluster, local, "b", processes=2)
        workers_start(cluster, s3, {"b": 2})
        progress("runs one at a time, alternating")
        batch_run(local, WARMUP)
        nodes: dict[str, list[dict[str, float]]] = {"s3": [], "local": []}
        walls: dict[str, list[float]] = {"s3": [], "local": []}
        for i in range(sequential):
            for site in (s3, local) if i % 2 == 0 else (local, s3):
                dataset = site.dataset()
                start = time.time()
                run = site.wait(site.submit(dataset))
                walls[site.name].append(stamp(run["finished_at"]) - start)
                nodes[site.name].append(node_seconds(run))
                if i == 0:
                    output_check(site, run, expected)
        # Rounds of the three batches, so that each sees the machine's load.
        batches: dict[str, list[dict[str, Any]]] = {"local": [], "s3": [], "two": []}
        for round_ in range(rounds):
            progress(f"batches of {batch}, round {round_ + 1} of {rounds}")
            batches["local"].append(batch_run(local, batch))
            if round_:
                workers_start(cluster, s3, {"b": 2})
            batches["s3"].append(batch_run(s3, batch))
            workers_start(cluster, s3, {"b": 1, "c": 1})
            batches["two"].append(batch_run(s3, batch))
        for site in (s3, local):
            site.api.close()
    shutil.rmtree(folder, ignore_errors=True)
    figures = summary(direct_ms, executor_ms, nodes, walls, batches, batch, sequential)
    return {**figures, "storage_calls_ms": calls, "rounds": rounds}


def workers_start(cluster: Cluster, site: Site, processes: dict[str, int]) -> None:
    """Replace the site's workers by these (host -> processes), warmed up."""
    for host in list(site.workers):
        worker_stop(site, host)
    for host, count in processes.items():
        worker_start(cluster, site, host, processes=count)
    batch_run(site, WARMUP)  # every pool process loads the models


def storage_calls(cluster: Cluster, folder: Path, repeats: int) -> dict[str, Any]:
    """One node output's file: S3 calls to the SeaweedFS vs the local folder.

    The input table (6 columns) and a model's output (1 column) of 100,000
    rows as Parquet; PUT, GET and HEAD with boto3, against writing beside the
    name, fsync and rename, and reading it back.
    """
    import numpy as np
    import pandas as pd

    from catena.reference import synthetic_sales

    frames = {
        "input": synthetic_sales(ROWS, seed=3)[0],
        "prediction": pd.DataFrame({"p": np.random.default_rng(3).random(ROWS)}),
    }
    client = cluster.weed.client()
    bucket = cluster.weed.bucket_make()
    local = folder / "calls"
    local.mkdir()
    found: dict[str, Any] = {}
    for name, frame in frames.items():
        buffer = io.BytesIO()
        frame.to_parquet(buffer)
        data = buffer.getvalue()
        key, path = f"calls/{name}.parquet", local / f"{name}.parquet"

        def s3_put(data: bytes = data, key: str = key) -> None:
            client.put_object(Bucket=bucket, Key=key, Body=data)

        def s3_get(key: str = key) -> None:
            client.get_object(Bucket=bucket, Key=key)["Body"].read()

        def s3_head(key: str = key) -> None:
            client.head_object(Bucket=bucket, Key=key)

        def local_write(data: bytes = data, path: Path = path) -> None:
            temp = path.with_suffix(".tmp")
            with open(temp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)

        def local_read(path: Path = path) -> None:
            path.read_bytes()

        times = median_seconds(
            [s3_put, s3_get, s3_head, local_write, local_read], repeats, warmup=2
        )
        labels = ["s3_put", "s3_get", "s3_head", "local_write", "local_read"]
        found[name] = {"bytes": len(data)} | {
            label: round(1000 * t, 2) for label, t in zip(labels, times, strict=True)
        }
    return found


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def stamp(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def node_seconds(run: dict[str, Any]) -> dict[str, float]:
    """Each node's time from its claim to its recorded output."""
    return {
        n["node_id"]: stamp(n["finished_at"]) - stamp(n["started_at"])
        for n in run["nodes"]
    }


def batch_run(site: Site, count: int) -> dict[str, Any]:
    """``count`` runs on fresh data sets submitted together: the seconds from
    the first POST to the last run's end, and the hosts their nodes ran on."""
    datasets = [site.dataset() for _ in range(count)]
    start = time.time()
    runs = [site.submit(d) for d in datasets]
    done = [site.wait(r) for r in runs]
    hosts = sorted({h for run in done for n in run["nodes"] for h in n["hosts"]})
    return {
        "seconds": max(stamp(r["finished_at"]) for r in done) - start,
        "hosts": hosts,
    }


def output_check(site: Site, run: dict[str, Any], direct: Any) -> None:
    """The run's output equals the models called by hand on the same rows."""
    import numpy as np
    import pandas as pd

    path = f"/api/runs/{run['id']}/nodes/out/output?format=parquet"
    data = site.api.get(path, follow_redirects=True)
    data.raise_for_status()
    frame = pd.read_parquet(io.BytesIO(data.content))
    expected = direct(site.seeds[run["dataset"]])
    np.testing.assert_allclose(frame.iloc[:, 0].to_numpy(), expected, rtol=0, atol=1e-9)


def direct_times(repeats: int) -> tuple[float, float, Any]:
    """The demo's models by hand and in the in-process executor, 100,000 rows."""
    from catena.executor import run
    from catena.graph import load
    from catena.reference import (
        direct,
        fit_reference,
        reference_doc,
        resolver_for,
        synthetic_sales,
    )

    estimators = fit_reference(0)  # registry.demo.SEED: the demo's models
    data, _ = synthetic_sales(ROWS, seed=1)
    graph = load(reference_doc())
    resolver = resolver_for(estimators, data)
    t_direct, t_executor = median_seconds(
        [lambda: direct(estimators, data), lambda: run(graph, data, resolver)],
        repeats,
        warmup=1,
    )

    def expected(seed: int) -> Any:
        return direct(estimators, synthetic_sales(ROWS, seed)[0])

    return t_direct * 1000, t_executor * 1000, expected


# The hosts and the sites -------------------------------------------------------------
@dataclass
class Cluster:
    net: Any
    weed: Any
    database_url: str
    broker_url: str
    storage_url: str


@contextmanager
def cluster_up(folder: Path) -> Iterator[Cluster]:
    from tests.hosts.netns import network
    from tests.hosts.services import postgres_server, redis_server
    from tests.store.seaweed import seaweed_server

    (folder / "seaweed").mkdir()
    with (
        network(["a", "b", "c"]) as net,
        postgres_server(net.gateway) as database_url,
        redis_server(net.gateway) as broker_url,
        # ~12 MB per run, ~200 runs: the tests' 32 volumes (2 GB) would fill.
        seaweed_server(folder / "seaweed", ip=net.gateway, volumes=400) as weed,
    ):
        storage_url = weed.storage_url(weed.bucket_make())
        yield Cluster(net, weed, database_url, broker_url, storage_url)


def site_start(
    cluster: Cluster, name: str, folder: Path, *, port: int, storage: bool
) -> Site:
    """A database and broker of the site's own, migrated, with the demo; its web app."""
    import httpx
    import psycopg

    from tests.hosts.services import wait_port

    with psycopg.connect(cluster.database_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE bench_{name}")
    number = 1 if storage else 2
    env = {
        **os.environ,
        "DATABASE_URL": cluster.database_url.rsplit("/", 1)[0] + f"/bench_{name}",
        "CELERY_BROKER_URL": cluster.broker_url.rsplit("/", 1)[0] + f"/{number}",
        "SECRET_KEY": "bench-scale-key-" + "x" * 40,
        "ALLOWED_HOSTS": cluster.net.hosts["a"].address,
        "CATENA_WEB_WORKERS": "1",
    }
    if storage:
        env["CATENA_STORAGE_URL"] = cluster.storage_url
    else:
        env.pop("CATENA_STORAGE_URL", None)
        env["CATENA_VAR_DIR"] = str(folder / f"{name}-shared")
    site = Site(name=name, env=env, folder=folder)
    a = cluster.net.hosts["a"]
    a_env = host_env(site, folder, "a")
    manage = [sys.executable, "manage.py"]
    a.run([*manage, "migrate", "--noinput"], a_env, ROOT)
    a.run([*manage, "catena_setup", "--username", "admin"], a_env, ROOT)
    token = a.run([*manage, "token_create", "admin"], a_env, ROOT)
    argv = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
    a.start([*argv, "-b", f"{a.address}:{port}"], a_env, ROOT, folder / f"{name}-a.log")
    wait_port(a.address, port, timeout=90)
    site.api = httpx.Client(
        base_url=f"http://{a.address}:{port}",
        headers={"Authorization": f"Token {token.strip().splitlines()[-1]}"},
        timeout=120,
    )
    return site


def host_env(site: Site, folder: Path, host: str) -> dict[str, str]:
    """The site's environment on ``host``: a var folder of the host's own on
    object storage, the site's shared one on the local folder."""
    if "CATENA_STORAGE_URL" not in site.env:
        Path(site.env["CATENA_VAR_DIR"]).mkdir(exist_ok=True)
        return site.env
    var = folder / f"{site.name}-{host}"
    var.mkdir(exist_ok=True)
    return {**site.env, "CATENA_VAR_DIR": str(var)}


def worker_start(cluster: Cluster, site: Site, host: str, processes: int) -> None:
    folder = site.folder
    argv = [sys.executable, "-m", "celery", "-A", "config", "worker"]
    argv += ["-c", str(processes), "-n", f"{site.name}@%h", "-l", "INFO"]
    argv += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    log = folder / f"{site.name}-{host}-{processes}.log"
    env = host_env(site, folder, host)
    process = cluster.net.hosts[host].start(argv, env, ROOT, log)
    deadline = time.monotonic() + 90
    while " ready." not in log.read_text():
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"worker {site.name} on {host}:\n{log.read_text()}")
        time.sleep(0.2)
    site.workers[host] = process


def worker_stop(site: Site, host: str) -> None:
    """Stop the site's worker on ``host`` (its own process group)."""
    process = site.workers.pop(host)
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# Figures -----------------------------------------------------------------------------
def summary(
    direct_ms: float,
    executor_ms: float,
    nodes: dict[str, list[dict[str, float]]],
    walls: dict[str, list[float]],
    batches: dict[str, list[dict[str, Any]]],
    batch: int,
    sequential: int,
) -> dict[str, Any]:
    node_ids = sorted(
        nodes["s3"][0],
        key=lambda n: (
            n not in CHAIN_ORDER,
            CHAIN_ORDER.index(n) if n in CHAIN_ORDER else 0,
            n,
        ),
    )
    per_node = {
        node: {
            site: round(1000 * statistics.median(r[node] for r in nodes[site]), 1)
            for site in ("s3", "local")
        }
        for node in node_ids
    }
    s3_node = statistics.mean(v["s3"] for v in per_node.values())
    local_node = statistics.mean(v["local"] for v in per_node.values())
    wall_s3 = 1000 * statistics.median(walls["s3"])
    wall_local = 1000 * statistics.median(walls["local"])
    seconds = {k: statistics.mean(b["seconds"] for b in v) for k, v in batches.items()}
    rate = {k: 60 * batch / v for k, v in seconds.items()}
    return {
        "rows": ROWS,
        "batch": batch,
        "sequential_runs": sequential,
        "direct_ms": round(direct_ms, 1),
        "executor_ms": round(executor_ms, 1),
        "direct_ms_per_node": round(direct_ms / NODES, 1),
        "per_node_ms": per_node,
        "node_ms_s3": round(s3_node, 1),
        "node_ms_local": round(local_node, 1),
        "storage_overhead_pct": round(100 * (s3_node - local_node) / local_node, 1),
        "run_ms_s3": round(wall_s3, 1),
        "run_ms_local": round(wall_local, 1),
        "run_overhead_pct": round(100 * (wall_s3 - wall_local) / wall_local, 1),
        "batch_seconds": {k: round(v, 2) for k, v in seconds.items()},
        "batch_seconds_each": {
            k: [round(b["seconds"], 2) for b in v] for k, v in batches.items()
        },
        "batch_hosts": {
            k: ",".join(sorted({h for b in v for h in b["hosts"]}))
            for k, v in batches.items()
        },
        "runs_per_minute": {k: round(v, 1) for k, v in rate.items()},
        "direct_runs_per_minute": round(60_000 / direct_ms, 1),
        "two_hosts_vs_one": round(rate["two"] / rate["s3"], 3),
        "s3_vs_local_batch": round(rate["s3"] / rate["local"], 3),
    }


CHAIN_ORDER = ["in", "encode", "scale", "ridge", "forest", "boost", "stack", "out"]


def report(f: dict[str, Any]) -> None:
    rows = [
        [
            node,
            v["local"],
            v["s3"],
            f"{100 * (v['s3'] - v['local']) / v['local']:+.0f}%",
        ]
        for node, v in f["per_node_ms"].items()
    ]
    rows.append(
        [
            "mean per node",
            f["node_ms_local"],
            f["node_ms_s3"],
            f"{f['storage_overhead_pct']:+.1f}%",
        ]
    )
    rows.append(
        [
            "whole run, submit to end",
            f["run_ms_local"],
            f["run_ms_s3"],
            f"{f['run_overhead_pct']:+.1f}%",
        ]
    )
    rows.append(["direct (models by hand) / 8", f["direct_ms_per_node"], "", ""])
    print(table(["node (median ms)", "local folder", "object storage", "+"], rows))
    print(
        f"{f['sequential_runs']} runs one at a time per site, alternating; "
        "goal: object storage adds at most 10% per node."
    )
    print()
    b, rate = f["batch_seconds"], f["runs_per_minute"]
    rows = [
        ["local folder, one host (2 processes)", b["local"], rate["local"], ""],
        ["object storage, one host (2 processes)", b["s3"], rate["s3"], ""],
        ["object storage, two hosts (1 process each)", b["two"], rate["two"], ""],
        [
            "direct, one process, models by hand",
            "",
            f["direct_runs_per_minute"],
            "",
        ],
        ["two hosts / one host", "", "", f"{f['two_hosts_vs_one']:.2f}x"],
        ["object storage / local folder", "", "", f"{f['s3_vs_local_batch']:.2f}x"],
    ]
    print(table([f"batch of {f['batch']} runs", "seconds", "runs/min", "ratio"], rows))
    print(
        f"{f['rows']:,} rows per run; direct {f['direct_ms']} ms per run, "
        f"in-process executor {f['executor_ms']} ms."
    )
    print()
    rows = [
        [
            name,
            c["bytes"],
            c["s3_put"],
            c["s3_get"],
            c["s3_head"],
            c["local_write"],
            c["local_read"],
        ]
        for name, c in f["storage_calls_ms"].items()
    ]
    headers = ["one file (median ms)", "bytes", "S3 PUT", "S3 GET", "S3 HEAD"]
    print(table([*headers, "local write+fsync", "local read"], rows))


if __name__ == "__main__":
    main()
