"""The statements a node runs on its way through a worker, written out.

The ORM spends ~0.25 ms building each statement and the database ~0.05 ms
running it, and a node takes about ten of them, so the hot path is plain SQL
(valid on SQLite 3.35+ and PostgreSQL). Every change is still a conditional
UPDATE on the row's current status, as in the rest of the runner; values go
through the model fields' own conversion for the database in use.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db import connection, models

from runner.models import Artifact, NodeResult, Run

NODES = NodeResult._meta.db_table
RUNS = Run._meta.db_table
ARTIFACTS = Artifact._meta.db_table
Status = NodeResult.Status
M = TypeVar("M", bound=models.Model)

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


def _prep(model: type[models.Model], name: str, value: Any) -> Any:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field.get_db_prep_value(value, connection)


def _when(value: datetime) -> Any:
    return _prep(NodeResult, "started_at", value)


def _rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _count(sql: str, params: Sequence[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _instance(model: type[M], values: dict[str, Any]) -> M:
    """A model instance with these field values, the others deferred (loaded on use)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[n] for n in names])


def _node(values: Sequence[Any]) -> NodeResult:
    return _instance(NodeResult, dict(zip(NODE_FIELDS, values, strict=True)))


def node_claim_queued(
    node_result_id: int, now: datetime, lease_expires: datetime
) -> NodeResult | None:
    """QUEUED -> RUNNING with a lease; the claimed row, or None."""
    found = _rows(
        f"UPDATE {NODES} SET status = %s, attempts = attempts + 1, "
        f"started_at = %s, lease_expires_at = %s WHERE id = %s AND status = %s "
        f"RETURNING {_COLUMNS}",
        [
            Status.RUNNING,
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
    """The fields of a run a worker reads (others deferred), with its input's path."""
    (values,) = _rows(
        f"SELECT r.status, r.reuse, r.chain_version_id, r.input_id, a.key, a.path "
        f"FROM {RUNS} AS r JOIN {ARTIFACTS} AS a ON a.id = r.input_id "
        f"WHERE r.id = %s",
        [run_id],
    )
    status, reuse, version_id, input_id, key, path = values
    run = _instance(
        Run,
        {
            "id": run_id,
            "status": status,
            "reuse": bool(reuse),
            "chain_version_id": version_id,
            "input_id": input_id,
        },
    )
    run.input = _instance(Artifact, {"id": input_id, "key": key, "path": path})
    return run


def run_start_if_queued(run_id: int, now: datetime) -> int:
    return _count(
        f"UPDATE {RUNS} SET status = %s, started_at = %s WHERE id = %s AND status = %s",
        [Run.Status.RUNNING, _prep(Run, "started_at", now), run_id, Run.Status.QUEUED],
    )


def run_lock(run_id: int) -> None:
    """Lock a run's row until the transaction ends (no-op where rows have no locks)."""
    if connection.features.has_select_for_update:
        _rows(f"SELECT id FROM {RUNS} WHERE id = %s FOR UPDATE", [run_id])


def run_nodes(run_id: int) -> list[tuple[NodeResult, tuple[int, str, str] | None]]:
    """Every node result of a run with its artifact's (id, key, path), if any."""
    rows = _rows(
        f"SELECT {_NODE_COLUMNS}, a.id, a.key, a.path FROM {NODES} AS n "
        f"LEFT JOIN {ARTIFACTS} AS a ON a.id = n.artifact_id WHERE n.run_id = %s",
        [run_id],
    )
    width = len(NODE_FIELDS)
    return [(_node(row[:width]), _artifact_ref(row[width:])) for row in rows]


def _artifact_ref(values: Sequence[Any]) -> tuple[int, str, str] | None:
    if values[0] is None:
        return None
    return int(values[0]), str(values[1]), str(values[2])


def parent_artifacts(
    run_id: int, nodes: Sequence[str]
) -> dict[str, tuple[int, str, str]]:
    """node id -> (artifact id, key, path) of those nodes of a run that have one."""
    if not nodes:
        return {}
    marks = ", ".join(["%s"] * len(nodes))
    rows = _rows(
        f"SELECT n.node_id, a.id, a.key, a.path FROM {NODES} AS n "
        f"JOIN {ARTIFACTS} AS a ON a.id = n.artifact_id "
        f"WHERE n.run_id = %s AND n.node_id IN ({marks})",
        [run_id, *nodes],
    )
    return {node: (pk, key, path) for node, pk, key, path in rows}


def node_hop_claim(node_result_id: int, now: datetime, lease_expires: datetime) -> int:
    """PENDING -> RUNNING with a lease, for the claiming process to run next."""
    return _count(
        f"UPDATE {NODES} SET status = %s, attempts = attempts + 1, queued_at = %s, "
        f"started_at = %s, lease_expires_at = %s WHERE id = %s AND status = %s",
        [
            Status.RUNNING,
            _when(now),
            _when(now),
            _when(lease_expires),
            node_result_id,
            Status.PENDING,
        ],
    )


def nodes_queue(ids: Sequence[int], now: datetime) -> int:
    """PENDING -> QUEUED."""
    if not ids:
        return 0
    marks = ", ".join(["%s"] * len(ids))
    return _count(
        f"UPDATE {NODES} SET status = %s, queued_at = %s "
        f"WHERE id IN ({marks}) AND status = %s",
        [Status.QUEUED, _when(now), *ids, Status.PENDING],
    )


def node_record(
    node_result_id: int,
    *,
    status: str,
    artifact: Artifact,
    reused_from_id: int | None,
    seconds: float,
    now: datetime,
) -> int:
    """RUNNING -> done, with the output's artifact."""
    return _count(
        f"UPDATE {NODES} SET status = %s, artifact_id = %s, reused_from_id = %s, "
        '"rows" = %s, "schema" = %s, seconds = %s, finished_at = %s, '
        f"lease_expires_at = NULL, error = '', traceback = '' "
        f"WHERE id = %s AND status = %s",
        [
            status,
            artifact.id,
            reused_from_id,
            artifact.rows,
            _prep(NodeResult, "schema", artifact.schema),
            seconds,
            _when(now),
            node_result_id,
            Status.RUNNING,
        ],
    )


def artifact_found(key: str) -> tuple[int, str] | None:
    """The (id, path) of the row stored under ``key``, or None."""
    rows = _rows(f'SELECT id, path FROM {ARTIFACTS} WHERE "key" = %s', [key])
    return rows[0] if rows else None


def artifact_insert(artifact: Artifact) -> int | None:
    """Insert a new artifact row; its id, or None when its key is stored already."""
    fields = [f for f in Artifact._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    params = [
        f.get_db_prep_save(f.pre_save(artifact, True), connection) for f in fields
    ]
    rows = _rows(
        f"INSERT INTO {ARTIFACTS} ({columns}) VALUES ({marks}) "
        'ON CONFLICT ("key") DO NOTHING RETURNING id',
        params,
    )
    return int(rows[0][0]) if rows else None


def artifact_parents_link(artifact_id: int, parent_ids: Sequence[int]) -> None:
    if not parent_ids:
        return
    through = Artifact.parents.through._meta
    table = through.db_table
    source = through.get_field("from_artifact").column
    target = through.get_field("to_artifact").column
    values = ", ".join(["(%s, %s)"] * len(parent_ids))
    params = [value for parent in parent_ids for value in (artifact_id, parent)]
    _count(f"INSERT INTO {table} ({source}, {target}) VALUES {values}", params)
