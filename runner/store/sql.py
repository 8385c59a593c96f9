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


def artifacts_found(keys: Sequence[str]) -> dict[str, tuple[int, str]]:
    """key -> (id, path) of the rows stored under any of ``keys``: one query."""
    if not keys:
        return {}
    marks = ", ".join(["%s"] * len(keys))
    found = rows(
        f'SELECT "key", id, path FROM {ARTIFACTS} WHERE "key" IN ({marks})', list(keys)
    )
    return {key: (pk, path) for key, pk, path in found}


def artifact_insert(artifact: Artifact) -> int | None:
    """Insert a new artifact row; its id, or None when its key is stored already."""
    return artifacts_insert([artifact]).get(artifact.key)


def artifacts_insert(artifacts: Sequence[Artifact]) -> dict[str, int]:
    """Insert new artifact rows in one statement; key -> id of each inserted
    (a key stored already is left out)."""
    if not artifacts:
        return {}
    fields = [f for f in Artifact._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    values = ", ".join([f"({marks})"] * len(artifacts))
    params = [
        f.get_db_prep_save(f.pre_save(artifact, True), connection)
        for artifact in artifacts
        for f in fields
    ]
    inserted = rows(
        f"INSERT INTO {ARTIFACTS} ({columns}) VALUES {values} "
        'ON CONFLICT ("key") DO NOTHING RETURNING "key", id',
        params,
    )
    return {str(key): int(pk) for key, pk in inserted}


def artifact_parents_link(artifact_id: int, parent_ids: Sequence[int]) -> None:
    artifacts_parents_link([(artifact_id, parent) for parent in parent_ids])


def artifacts_parents_link(links: Sequence[tuple[int, int]]) -> None:
    """Link each (artifact, parent) pair: one statement."""
    if not links:
        return
    through = Artifact.parents.through._meta
    table = through.db_table
    source = through.get_field("from_artifact").column
    target = through.get_field("to_artifact").column
    values = ", ".join(["(%s, %s)"] * len(links))
    params = [value for link in links for value in link]
    count(f"INSERT INTO {table} ({source}, {target}) VALUES {values}", params)
