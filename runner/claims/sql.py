"""The state changes of a node's path, written out (see ``runner.statements``).

Every change is a conditional UPDATE on the row's current status, as in the
rest of the runner.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection

from runner.models import Artifact, NodeResult, Run
from runner.statements import count, count_each, db_value, instance, rows

NODES = NodeResult._meta.db_table
RUNS = Run._meta.db_table
ARTIFACTS = Artifact._meta.db_table
Status = NodeResult.Status

#: The columns a worker needs of a node result (the others stay deferred), in
#: the model's field order as ``Model.from_db`` takes them.
_NEEDED = {
    "id",
    "run_id",
    "node_id",
    "status",
    "kind",
    "cache_key",
    "model_name",
    "model_version",
    "model_sha256",
    "attempts",
}
NODE_FIELDS = tuple(
    f.attname for f in NodeResult._meta.concrete_fields if f.attname in _NEEDED
)
_COLUMNS = ", ".join(NODE_FIELDS)
_NODE_COLUMNS = ", ".join(f"n.{name}" for name in NODE_FIELDS)


#: The machine this worker runs on, recorded with each attempt it claims.
HOST = socket.gethostname()[:100]
#: ``hosts`` with this worker's host appended (``a, b``), within the column.
_HOSTS_APPEND = (
    "hosts = substr(CASE WHEN hosts = '' THEN %s ELSE hosts || ', ' || %s END, 1, 400)"
)


def _when(value: datetime) -> Any:
    return db_value(NodeResult, "started_at", value)


def _node(values: Sequence[Any]) -> NodeResult:
    return instance(NodeResult, dict(zip(NODE_FIELDS, values, strict=True)))


def node_claim_queued(
    node_result_id: int, now: datetime, lease_expires: datetime
) -> NodeResult | None:
    """QUEUED -> RUNNING with a lease; the claimed row, or None."""
    found = rows(
        f"UPDATE {NODES} SET status = %s, attempts = attempts + 1, "
        f"{_HOSTS_APPEND}, "
        f"started_at = %s, lease_expires_at = %s WHERE id = %s AND status = %s "
        f"RETURNING {_COLUMNS}",
        [
            Status.RUNNING,
            HOST,
            HOST,
            _when(now),
            _when(lease_expires),
            node_result_id,
            Status.QUEUED,
        ],
    )
    if not found:
        return None
    node_result = _node(found[0])
    node_result.started_at, node_result.lease_expires_at = now, lease_expires
    return node_result


def run_of(run_id: int) -> Run:
    """The fields of a run a worker reads (others deferred; those its graph is
    known by among them), with its input's path."""
    (values,) = rows(
        f"SELECT r.status, r.reuse, r.chain_version_id, r.input_id, r.target, "
        f'r.chains, r.document_hash, a.key, a.path, a."rows", a.size, a.sha256 '
        f"FROM {RUNS} AS r JOIN {ARTIFACTS} AS a ON a.id = r.input_id WHERE r.id = %s",
        [run_id],
    )
    status, reuse, version_id, input_id, target, chains, digest, *source = values
    key, path, input_rows, size, sha256 = source
    run = instance(
        Run,
        {
            "id": run_id,
            "status": status,
            "reuse": bool(reuse),
            "chain_version_id": version_id,
            "input_id": input_id,
            "target": target,
            # JSON as text (SQLite, and psycopg as Django sets it up).
            "chains": json.loads(chains) if isinstance(chains, str) else chains,
            "document_hash": digest,
        },
    )
    run.input = instance(
        Artifact,
        {
            "id": input_id,
            "key": key,
            "path": path,
            "rows": input_rows,
            "size": size,
            "sha256": sha256,
        },
    )
    return run


def node_seconds_recent(
    version_id: int, node_ids: Sequence[str]
) -> dict[tuple[int, str, str, int], tuple[float, int]]:
    """The compute seconds of each node's latest success in a run of the chain
    version (without loading model files), with that run's input rows, by
    (version, node, model, model version)."""
    if not node_ids:
        return {}
    marks = ", ".join(["%s"] * len(node_ids))
    found = rows(
        "SELECT n.node_id, n.model_name, n.model_version, "
        'n.seconds - n.load_seconds, a."rows" '
        f"FROM {NODES} AS n JOIN {RUNS} AS r ON r.id = n.run_id "
        f"JOIN {ARTIFACTS} AS a ON a.id = r.input_id "
        f"WHERE r.chain_version_id = %s AND n.node_id IN ({marks}) "
        f"AND n.status = %s AND n.seconds IS NOT NULL ORDER BY n.id DESC LIMIT 200",
        [version_id, *node_ids, Status.SUCCEEDED],
    )
    recent: dict[tuple[int, str, str, int], tuple[float, int]] = {}
    for node_id, model_name, model_version, seconds, input_rows in found:
        key = (version_id, node_id, model_name, model_version or 0)
        recent.setdefault(key, (float(seconds), int(input_rows or 0)))
    return recent


def run_start_if_queued(run_id: int, now: datetime) -> int:
    return count(
        f"UPDATE {RUNS} SET status = %s, started_at = %s WHERE id = %s AND status = %s",
        [
            Run.Status.RUNNING,
            db_value(Run, "started_at", now),
            run_id,
            Run.Status.QUEUED,
        ],
    )


def run_lock(run_id: int) -> None:
    """Lock a run's row until the transaction ends (no-op where rows have no locks)."""
    if connection.features.has_select_for_update:
        rows(f"SELECT id FROM {RUNS} WHERE id = %s FOR UPDATE", [run_id])


def run_nodes(run_id: int) -> list[tuple[NodeResult, tuple[int, str, str] | None]]:
    """Every node result of a run with its artifact's (id, key, path), if any."""
    found = rows(
        f"SELECT {_NODE_COLUMNS}, a.id, a.key, a.path FROM {NODES} AS n "
        f"LEFT JOIN {ARTIFACTS} AS a ON a.id = n.artifact_id WHERE n.run_id = %s",
        [run_id],
    )
    width = len(NODE_FIELDS)
    return [(_node(row[:width]), _artifact_ref(row[width:])) for row in found]


def _artifact_ref(values: Sequence[Any]) -> tuple[int, str, str] | None:
    if values[0] is None:
        return None
    return int(values[0]), str(values[1]), str(values[2])


def node_hop_claim(node_result_id: int, now: datetime, lease_expires: datetime) -> int:
    """PENDING -> RUNNING with a lease, for the claiming process to run next."""
    return nodes_hop_claim([node_result_id], now, lease_expires)


def nodes_hop_claim(ids: Sequence[int], now: datetime, lease_expires: datetime) -> int:
    """PENDING -> RUNNING with a lease, for the claiming process to run (all of
    them, or none: the caller holds the run's lock, under which they are
    PENDING)."""
    marks = ", ".join(["%s"] * len(ids))
    return count(
        f"UPDATE {NODES} SET status = %s, attempts = attempts + 1, queued_at = %s, "
        f"{_HOSTS_APPEND}, "
        f"started_at = %s, lease_expires_at = %s WHERE id IN ({marks}) "
        "AND status = %s",
        [
            Status.RUNNING,
            _when(now),
            HOST,
            HOST,
            _when(now),
            _when(lease_expires),
            *ids,
            Status.PENDING,
        ],
    )


def nodes_release(ids: Sequence[int]) -> int:
    """RUNNING -> PENDING, the claims of nodes a process will not run after all."""
    if not ids:
        return 0
    marks = ", ".join(["%s"] * len(ids))
    return count(
        f"UPDATE {NODES} SET status = %s, attempts = attempts - 1, queued_at = NULL, "
        "started_at = NULL, lease_expires_at = NULL "
        f"WHERE id IN ({marks}) AND status = %s",
        [Status.PENDING, *ids, Status.RUNNING],
    )


def nodes_queue(ids: Sequence[int], now: datetime) -> int:
    """PENDING -> QUEUED."""
    if not ids:
        return 0
    marks = ", ".join(["%s"] * len(ids))
    return count(
        f"UPDATE {NODES} SET status = %s, queued_at = %s "
        f"WHERE id IN ({marks}) AND status = %s",
        [Status.QUEUED, _when(now), *ids, Status.PENDING],
    )


_NODE_RECORD = (
    f"UPDATE {NODES} SET status = %s, artifact_id = %s, reused_from_id = %s, "
    '"rows" = %s, "schema" = %s, seconds = %s, load_seconds = %s, '
    "started_at = COALESCE(%s, started_at), "
    f"finished_at = %s, lease_expires_at = NULL, error = '', traceback = '' "
    f"WHERE id = %s AND status = %s"
)


class NodeRecord(NamedTuple):
    """One node's end: RUNNING -> done (``status``) with its output's
    ``artifact``, and when its work ``started`` (when not at its claim)."""

    node_result_id: int
    status: str
    artifact: Artifact
    reused_from_id: int | None
    seconds: float
    now: datetime
    load_seconds: float = 0.0
    started: datetime | None = None


def nodes_record(records: Sequence[NodeRecord]) -> int:
    """Record each node's end, in one round trip (``executemany``: a pipeline
    on PostgreSQL); how many rows changed in all."""
    params = [
        [
            r.status,
            r.artifact.id,
            r.reused_from_id,
            r.artifact.rows,
            db_value(NodeResult, "schema", r.artifact.schema),
            r.seconds,
            r.load_seconds,
            _when(r.started) if r.started is not None else None,
            _when(r.now),
            r.node_result_id,
            Status.RUNNING,
        ]
        for r in records
    ]
    return count_each(_NODE_RECORD, params)
