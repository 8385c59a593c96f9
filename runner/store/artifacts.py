"""Node outputs stored once per key as Parquet through Django's storage API.

The file is written first, whole under its final name (``runner.store.files``),
then its row is recorded; a stored output is reused only when its file is
intact (size and sha256 as recorded).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from django.core.files.storage import default_storage
from django.db import transaction

from runner.models import Artifact, Run
from runner.store import sql
from runner.store.files import (
    FileProblem,
    digest,
    file_link,
    file_problem,
    file_write,
)
from runner.store.tables import (
    recent_tables,
    table_from_parquet,
    table_preview,
    table_schema,
    table_stats,
    table_to_parquet,
)

#: Passed as ``known`` when the caller has just seen that no row holds the key.
ABSENT = object()


def artifact_path(key: str) -> str:
    return f"artifacts/{key[:2]}/{key}.parquet"


class DjangoArtifactStore:
    """``catena.store.ArtifactStore`` over Django's default storage.

    A key's file appears whole or not at all; a concurrent writer of the
    same key writes an equal table.
    """

    def get(self, key: str) -> pd.DataFrame | None:
        """Return the table under ``key``, or None (also when its file is gone)."""
        artifact = artifact_get(key=key)
        if artifact is None:
            return None
        try:
            with default_storage.open(artifact.path, "rb") as handle:
                return table_from_parquet(handle.read())
        except FileNotFoundError:
            return None

    def put(self, key: str, df: pd.DataFrame) -> None:
        artifact_put(key=key, df=df)


def artifact_problem(artifact: Artifact) -> FileProblem | None:
    """Why the artifact's file cannot be reused (missing, corrupt), or None."""
    return file_problem(path=artifact.path, size=artifact.size, sha256=artifact.sha256)


def artifact_intact(artifact: Artifact) -> bool:
    """The file is present with the size and sha256 recorded when written."""
    return artifact_problem(artifact) is None


def artifact_get(*, key: str) -> Artifact | None:
    """The stored artifact under ``key`` whose file is intact, or None."""
    artifact = Artifact.objects.filter(key=key).first()
    if artifact is None or not artifact_intact(artifact):
        return None
    return artifact


def artifact_load(*, artifact: Artifact) -> pd.DataFrame:
    kept = recent_tables.get(artifact.key)
    if kept is not None:
        return kept
    with default_storage.open(artifact.path, "rb") as handle:
        table = table_from_parquet(handle.read())
    recent_tables.put(artifact.key, table)
    return table


def artifact_write(
    *,
    key: str,
    df: pd.DataFrame,
    environment: dict[str, str] | None = None,
    replace: bool = False,
    durable: bool = False,
    durable_soon: bool = False,
) -> dict[str, Any]:
    """Write ``df``'s file under ``key`` whole and return the row's fields.

    ``environment`` is what the table was computed with; ``replace`` a file
    found corrupt (a local file is always replaced, atomically); ``durable``,
    flushed to disk before it is renamed into place (a data set);
    ``durable_soon``, just after, off the caller's path (posted rows).
    """
    data = table_to_parquet(df)
    path = artifact_path(key)
    file_write(path, data, replace=replace, durable=durable, durable_soon=durable_soon)
    recent_tables.put(key, df)
    return {
        "path": path,
        "rows": len(df),
        "size": len(data),
        "sha256": digest(data),
        "environment": environment or {},
        "schema": table_schema(df),
        "preview": table_preview(df),
        "stats": table_stats(df),
    }


def artifact_link(
    *,
    key: str,
    source: Artifact,
    df: pd.DataFrame,
    environment: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """``artifact_write`` of a table equal to the one ``source``'s file holds:
    that file under a second name instead of the table encoded and written
    again (the row's size and sha256 are the file's); None when the storage
    cannot link."""
    path = artifact_path(key)
    if not file_link(source.path, path):
        return None
    recent_tables.put(key, df)
    return {
        "path": path,
        "rows": len(df),
        "size": source.size,
        "sha256": source.sha256,
        "environment": environment or {},
        "schema": table_schema(df),
        "preview": table_preview(df),
        "stats": table_stats(df),
    }


def artifact_record(
    *,
    key: str,
    fields: dict[str, Any],
    run: Run | None = None,
    node_id: str = "",
    parent_ids: Iterable[int] = (),
    known: Any = None,
) -> Artifact:
    """The row of a written file (created once per key), linked to its parents.

    ``known`` is the row the caller found under ``key`` (or ``ABSENT``), which
    saves looking again; a row created meanwhile is still found (unique key).
    """
    existing = Artifact.objects.filter(key=key).first() if known is None else known
    if isinstance(existing, Artifact):
        # A row whose file had gone missing or was corrupt: the file is back;
        # keep its history, record the new file.
        return _rewritten(existing, fields)
    artifact = Artifact(key=key, run=run, node_id=node_id, **fields)
    # The unique key is the database's to enforce (ON CONFLICT below) and the
    # run row is locked by the caller: two queries saved per node.
    artifact.full_clean(exclude=["run"], validate_unique=False)
    with transaction.atomic(savepoint=False):
        artifact.id = sql.artifact_insert(artifact)
        if artifact.id is None:
            # Another process stored the same key meanwhile; its table is equal.
            return Artifact.objects.get(key=key)
        sql.artifact_parents_link(artifact.id, sorted(set(parent_ids)))
    return artifact


def artifacts_create(new: Sequence[Artifact]) -> tuple[dict[str, Artifact], set[str]]:
    """The rows of written files, created in one statement (once per key): key
    -> row, and the keys whose row was created here (the others were stored
    meanwhile by another process; their tables are equal). Parents are for
    the caller to link (``sql.artifacts_parents_link``), once ids are known.
    """
    unique = list({artifact.key: artifact for artifact in reversed(new)}.values())
    for artifact in unique:
        artifact.full_clean(exclude=["run"], validate_unique=False)
    ids = sql.artifacts_insert(unique[::-1])
    made: dict[str, Artifact] = {}
    for artifact in unique:
        if artifact.key in ids:
            artifact.id = ids[artifact.key]
            made[artifact.key] = artifact
    others = [artifact.key for artifact in unique if artifact.key not in ids]
    made.update({a.key: a for a in Artifact.objects.filter(key__in=others)})
    return made, set(ids)


def _rewritten(artifact: Artifact, fields: dict[str, Any]) -> Artifact:
    for name, value in fields.items():
        setattr(artifact, name, value)
    Artifact.objects.filter(id=artifact.id).update(**fields)
    return artifact


def artifact_put(
    *,
    key: str,
    df: pd.DataFrame,
    run: Run | None = None,
    node_id: str = "",
    parent_ids: Iterable[int] = (),
    durable: bool = False,
) -> Artifact:
    """Store ``df`` under ``key`` (file first, then the row) and return the row;
    ``durable``: flushed to disk first (a data set)."""
    fields = artifact_write(key=key, df=df, durable=durable)
    return artifact_record(
        key=key, fields=fields, run=run, node_id=node_id, parent_ids=parent_ids
    )
