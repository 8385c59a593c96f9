"""The artifact statements of a node's path, written out (see ``runner.statements``)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from runner.models import Artifact, NodeResult
from runner.statements import count, rows

NODES = NodeResult._meta.db_table
ARTIFACTS = Artifact._meta.db_table


def parent_artifacts(
    run_id: int, nodes: Sequence[str]
) -> dict[str, tuple[int, str, str]]:
    """node id -> (artifact id, key, path) of those nodes of a run that have one."""
    if not nodes:
        return {}
    marks = ", ".join(["%s"] * len(nodes))
    found = rows(
        f"SELECT n.node_id, a.id, a.key, a.path FROM {NODES} AS n "
        f"JOIN {ARTIFACTS} AS a ON a.id = n.artifact_id "
        f"WHERE n.run_id = %s AND n.node_id IN ({marks})",
        [run_id, *nodes],
    )
    return {node: (pk, key, path) for node, pk, key, path in found}


def artifact_found(key: str) -> tuple[int, str] | None:
    """The (id, path) of the row stored under ``key``, or None."""
    found = rows(f'SELECT id, path FROM {ARTIFACTS} WHERE "key" = %s', [key])
    return found[0] if found else None


def artifact_insert(artifact: Artifact) -> int | None:
    """Insert a new artifact row; its id, or None when its key is stored already."""
    fields = [f for f in Artifact._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    params = [
        f.get_db_prep_save(f.pre_save(artifact, True), connection) for f in fields
    ]
    inserted = rows(
        f"INSERT INTO {ARTIFACTS} ({columns}) VALUES ({marks}) "
        'ON CONFLICT ("key") DO NOTHING RETURNING id',
        params,
    )
    return int(inserted[0][0]) if inserted else None


def artifact_parents_link(artifact_id: int, parent_ids: Sequence[int]) -> None:
    if not parent_ids:
        return
    through = Artifact.parents.through._meta
    table = through.db_table
    source = through.get_field("from_artifact").column
    target = through.get_field("to_artifact").column
    values = ", ".join(["(%s, %s)"] * len(parent_ids))
    params = [value for parent in parent_ids for value in (artifact_id, parent)]
    count(f"INSERT INTO {table} ({source}, {target}) VALUES {values}", params)
