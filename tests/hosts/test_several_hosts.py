"""Catena on three hosts (network namespaces): web on A, workers on B and C.

PostgreSQL, Redis and SeaweedFS listen on the bridge's address; each host has
a folder of its own for ``CATENA_VAR_DIR`` and nothing else in common. The
demo sales chain runs on 100,000 rows: first on B alone, then on B and C
(nodes on both, outputs equal), then C is lost mid-node (every process killed,
link down) and the run finishes on B with equal outputs, every output stored
once and intact, and the run page showing the retried node's two hosts.
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import psycopg
import pytest
from django.conf import settings

from catena.reference import synthetic_sales
from tests.hosts.netns import Host, Network, network
from tests.hosts.services import postgres_server, redis_server, wait_port
from tests.store.seaweed import Seaweed, seaweed_server

pytestmark = [pytest.mark.slow, pytest.mark.worker, pytest.mark.timeout(900)]

ROWS = 100_000
LEASE_SECONDS = 4
WEB_PORT = 8000


@dataclass
class Cluster:
    net: Network
    api: httpx.Client
    seaweed: Seaweed
    bucket: str
    env: dict[str, str]
    folder: Path
    password: str = ""

    def host(self, name: str) -> Host:
        return self.net.hosts[name]


def host_env(base: dict[str, str], folder: Path, name: str) -> dict[str, str]:
    var = folder / name
    var.mkdir(exist_ok=True)
    return {**base, "CATENA_VAR_DIR": str(var)}


def worker_start(cluster: Cluster, name: str, beat: bool = False) -> Path:
    host = cluster.host(name)
    env = host_env(cluster.env, cluster.folder, name)
    argv = [sys.executable, "-m", "celery", "-A", "config", "worker", "-c", "1"]
    argv += ["-n", "worker@%h", "-l", "INFO", "--without-gossip", "--without-mingle"]
    argv += ["--without-heartbeat"]
    if beat:
        argv += ["-B", "-s", str(cluster.folder / name / "beat")]
    log = cluster.folder / f"{name}.log"
    host.start(argv, env, settings.BASE_DIR, log)
    deadline = time.monotonic() + 90
    while " ready." not in log.read_text():
        if time.monotonic() > deadline:
            raise RuntimeError(f"worker on {name} did not start:\n{log.read_text()}")
        time.sleep(0.2)
    return log


def web_start(cluster: Cluster) -> str:
    """Migrate, install the demo, start gunicorn on A; return an API token.

    The admin's password (printed once by ``catena_setup``) is kept in
    ``cluster.password`` for the pages.
    """
    a = cluster.host("a")
    env = host_env(cluster.env, cluster.folder, "a")
    manage = [sys.executable, "manage.py"]
    a.run([*manage, "migrate", "--noinput"], env, settings.BASE_DIR)
    setup = [*manage, "catena_setup", "--username", "admin"]
    shown = re.search(r"with password: ([\w-]+)", a.run(setup, env, settings.BASE_DIR))
    assert shown, "catena_setup did not print the admin's password"
    cluster.password = shown.group(1)
    token = a.run([*manage, "token_create", "admin"], env, settings.BASE_DIR)
    argv = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
    argv += ["-b", f"{a.address}:{WEB_PORT}"]
    a.start(argv, env, settings.BASE_DIR, cluster.folder / "a.log")
    wait_port(a.address, WEB_PORT, timeout=90)
    return token.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("hosts")
    (folder / "seaweed").mkdir()
    with network(["a", "b", "c"]) as net:
        gateway = net.gateway
        with (
            postgres_server(gateway) as database_url,
            redis_server(gateway) as broker_url,
            seaweed_server(folder / "seaweed", ip=gateway) as weed,
        ):
            bucket = weed.bucket_make()
            env = cluster_env(database_url, broker_url, weed.storage_url(bucket), net)
            found = Cluster(net, httpx.Client(), weed, bucket, env, folder)
            token = web_start(found)
            found.api = httpx.Client(
                base_url=f"http://{net.hosts['a'].address}:{WEB_PORT}",
                headers={"Authorization": f"Token {token}"},
                timeout=60,
            )
            yield found
            found.api.close()


def cluster_env(
    database_url: str, broker_url: str, storage_url: str, net: Network
) -> dict[str, str]:
    from os import environ

    return {
        **environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "CATENA_STORAGE_URL": storage_url,
        "SECRET_KEY": "several-hosts-test-key-" + "x" * 40,
        "ALLOWED_HOSTS": net.hosts["a"].address,
        "CATENA_WEB_WORKERS": "1",
        "CATENA_NODE_LEASE_SECONDS": str(LEASE_SECONDS),
        "CATENA_SWEEP_SECONDS": "1",
        "CATENA_REQUEUE_MARGIN_SECONDS": "2",
        # PostgreSQL drops the session of a lost host after about 2 x this.
        "CATENA_DB_KEEPALIVE_SECONDS": "5",
    }


def dataset_upload(api: httpx.Client) -> int:
    data, _ = synthetic_sales(ROWS, seed=16)
    buffer = io.BytesIO()
    data.to_parquet(buffer)
    files = {"file": ("sales-100k.parquet", buffer.getvalue())}
    response = api.post("/api/datasets/", files=files, data={"name": "sales-100k"})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def run_start(api: httpx.Client, dataset: int) -> int:
    body = {"chain": "sales-stacked", "dataset": dataset, "reuse": False}
    response = api.post("/api/runs/", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def run_get(api: httpx.Client, run_id: int) -> dict[str, Any]:
    return dict(api.get(f"/api/runs/{run_id}/").json())


def run_wait(api: httpx.Client, run_id: int, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = run_get(api, run_id)
        if run["status"] not in ("pending", "queued", "running"):
            return run
        time.sleep(0.25)
    raise AssertionError(f"run {run_id} did not finish: {run_get(api, run_id)}")


def output(api: httpx.Client, run_id: int) -> pd.DataFrame:
    path = f"/api/runs/{run_id}/nodes/out/output?format=parquet"
    response = api.get(path, follow_redirects=True)
    assert response.status_code == 200
    assert response.history[0].status_code == 302  # a pre-signed object URL
    return pd.read_parquet(io.BytesIO(response.content))


def hosts_of(run: dict[str, Any]) -> dict[str, list[str]]:
    return {node["node_id"]: node["hosts"] for node in run["nodes"]}


def test_runs_spread_over_two_worker_hosts_and_survive_losing_one(cluster):
    api = cluster.api
    worker_start(cluster, "b", beat=True)
    dataset = dataset_upload(api)

    # One worker host: the reference output.
    alone = run_wait(api, run_start(api, dataset))
    assert alone["status"] == "succeeded"
    assert {h for hs in hosts_of(alone).values() for h in hs} == {"b"}
    reference = output(api, alone["id"])
    assert len(reference) == ROWS
    # Every later run computes the same keys (same rows, same models).
    written = objects_stored(cluster)

    # Two worker hosts: the parallel regressors land on both.
    worker_start(cluster, "c")
    both = run_wait(api, run_start(api, dataset))
    assert both["status"] == "succeeded"
    assert {h for hs in hosts_of(both).values() for h in hs} == {"b", "c"}
    pd.testing.assert_frame_equal(output(api, both["id"]), reference)

    # Lose C mid-node: B's worker is stopped so that C takes the run (a
    # paused worker would still take messages from Redis), C is killed while
    # it runs a node and its link taken down, then B's worker comes back and
    # re-runs C's node once its lease has expired.
    b, c = cluster.host("b"), cluster.host("c")
    b.stop()
    # C dies in the middle of a commit: a process of C holds the run's row and
    # its node's row locked in an open transaction when the link goes down, so
    # no FIN reaches PostgreSQL (the session stays until it finds C gone). The
    # run's lock also keeps C's node from finishing meanwhile.
    watch, locker_log = rows_locker_start(cluster, "c")
    lost_run = run_start(api, dataset)
    watch.write_text(str(lost_run))
    locked = log_wait(locker_log, "locked").split()[1:]
    assert len(locked) == 1, locked
    lost_node = locked[0]
    c.lose()
    worker_start(cluster, "b", beat=True)
    lost = run_wait(api, lost_run, timeout=LEASE_SECONDS * 3 + 120)
    assert lost["status"] == "succeeded"
    retried = next(n for n in lost["nodes"] if n["node_id"] == lost_node)
    assert retried["hosts"] == ["c", "b"]
    assert retried["attempts"] == 2
    pd.testing.assert_frame_equal(output(api, lost_run), reference)
    outputs_stored_once(cluster, lost, written)
    page = run_page_node(cluster, lost_run, lost_node)
    assert f'data-node-hosts="{lost_node}">c, b</dd>' in page
    assert "attempt 2)" in page


def objects_stored(cluster: Cluster) -> dict[str, Any]:
    """Every stored table's object in the bucket: its key and when it was written."""
    client = cluster.seaweed.client()
    pages = client.get_paginator("list_objects_v2")
    found: dict[str, Any] = {}
    for page in pages.paginate(Bucket=cluster.bucket, Prefix="artifacts/"):
        for item in page.get("Contents", []):
            assert item["Key"] not in found
            found[item["Key"]] = item["LastModified"]
    return found


def outputs_stored_once(
    cluster: Cluster, run: dict[str, Any], written: dict[str, Any]
) -> None:
    """No output of ``run`` lost or stored twice, each object whole.

    One result row per node, each with its stored output; one artifact row
    per key and one object per row (no second copy under another name); the
    objects the first run wrote were not written again (the later runs, the
    lost node's second attempt included, found them); every object's bytes
    are the ones recorded when it was written.
    """
    with psycopg.connect(cluster.env["DATABASE_URL"]) as conn:
        results = conn.execute(
            "SELECT r.node_id, r.cache_key, a.key, a.path FROM runner_noderesult r "
            "LEFT JOIN runner_artifact a ON a.id = r.artifact_id WHERE r.run_id = %s",
            [run["id"]],
        ).fetchall()
        artifacts = conn.execute(
            "SELECT key, path, size, sha256 FROM runner_artifact"
        ).fetchall()
    nodes = Counter(node_id for node_id, *_ in results)
    assert nodes == Counter(node["node_id"] for node in run["nodes"])
    assert set(nodes.values()) == {1}
    for node_id, cache_key, key, path in results:
        assert key == cache_key, f"{node_id}: output not stored under its key"
        assert path in written, f"{node_id}: {path} not written by the first run"
    assert Counter(key for key, *_ in artifacts).most_common(1)[0][1] == 1
    stored = objects_stored(cluster)
    assert sorted(stored) == sorted(path for _, path, _, _ in artifacts)
    assert stored == written  # same objects, none written again
    client = cluster.seaweed.client()
    for key, path, size, sha256 in artifacts:
        body = client.get_object(Bucket=cluster.bucket, Key=path)["Body"].read()
        assert len(body) == size, f"{key}: {len(body)} bytes stored, {size} written"
        assert hashlib.sha256(body).hexdigest() == sha256, f"{key}: bytes differ"


def run_page_node(cluster: Cluster, run_id: int, node_id: str) -> str:
    """The node's card on the run page, fetched from A as the logged-in admin."""
    base = str(cluster.api.base_url).rstrip("/")
    with httpx.Client(base_url=base, timeout=60) as browser:
        form = browser.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert token, form.text[:2000]
        fields = {"username": "admin", "password": cluster.password}
        fields["csrfmiddlewaretoken"] = token.group(1)
        login = browser.post("/accounts/login/", data=fields)
        assert login.status_code == 302, login.text[:2000]
        page = browser.get(f"/runs/{run_id}/")
    assert page.status_code == 200
    card = re.search(
        rf'<section class="card node-card" id="node-{re.escape(node_id)}">'
        r"(.*?)</section>",
        page.text,
        re.S,
    )
    assert card, f"no card of node {node_id} on the run page"
    return card.group(1)


LOCKER = """
import os, pathlib, time
from django.db import connection, transaction
watch = pathlib.Path(os.environ["LOCK_RUN_FILE"])
print("ready", flush=True)
while not watch.read_text():
    time.sleep(0.01)
run_id = int(watch.read_text())
running = (
    "SELECT node_id FROM runner_noderesult WHERE run_id = %s AND status = 'running' "
    "AND hosts = 'c'"
)
with connection.cursor() as cursor:
    while True:
        cursor.execute(running, [run_id])
        if cursor.fetchall():
            break
        time.sleep(0.005)
with transaction.atomic(), connection.cursor() as cursor:
    cursor.execute("SELECT id FROM runner_run WHERE id = %s FOR UPDATE", [run_id])
    cursor.execute(running + " FOR UPDATE", [run_id])
    print("locked", *[row[0] for row in cursor.fetchall()], flush=True)
    time.sleep(3600)
"""


def rows_locker_start(cluster: Cluster, name: str) -> tuple[Path, Path]:
    """A process on ``name`` that, once given a run's id in the file returned,
    locks the run's row and the rows of its nodes running on ``name`` (with
    Catena's own database settings) in a transaction it leaves open, and
    prints ``locked`` and those nodes' ids to the log returned."""
    watch = cluster.folder / f"{name}-lock-run"
    watch.write_text("")
    env = {**host_env(cluster.env, cluster.folder, name), "LOCK_RUN_FILE": str(watch)}
    argv = [sys.executable, "manage.py", "shell", "-c", LOCKER]
    log = cluster.folder / f"{name}-locker.log"
    cluster.host(name).start(argv, env, settings.BASE_DIR, log)
    log_wait(log, "ready")
    return watch, log


def log_wait(log: Path, word: str, timeout: float = 90) -> str:
    """The first line of ``log`` that starts with ``word``, once written."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if line.startswith(word):
                return line
        time.sleep(0.02)
    raise AssertionError(f"no line {word!r} in {log}:\n{log.read_text()}")
