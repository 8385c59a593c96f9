"""The artifact store: node outputs written whole under their key, read back verified.

- ``tables``: a table as stored (Parquet bytes, schema, preview, histograms) and
  the per-process LRU of recent tables;
- ``files``: a file appears whole under its final name or not at all, and is
  checked (size, sha256) before reuse;
- ``sql``: the artifact statements of the hot path;
- ``artifacts``: write, record, load and check an output under its key.
"""

from __future__ import annotations

from runner.store.artifacts import (
    ABSENT,
    DjangoArtifactStore,
    artifact_get,
    artifact_intact,
    artifact_link,
    artifact_load,
    artifact_path,
    artifact_problem,
    artifact_put,
    artifact_record,
    artifact_write,
    artifacts_create,
)
from runner.store.files import ArtifactWriteError, FileProblem
from runner.store.tables import (
    recent_tables,
    table_from_parquet,
    table_preview,
    table_schema,
    table_stats,
    table_to_parquet,
    tables_same,
)

__all__ = [
    "ABSENT",
    "ArtifactWriteError",
    "DjangoArtifactStore",
    "FileProblem",
    "artifact_get",
    "artifact_intact",
    "artifact_load",
    "artifact_path",
    "artifact_problem",
    "artifact_put",
    "artifact_record",
    "artifact_link",
    "artifact_write",
    "artifacts_create",
    "recent_tables",
    "table_from_parquet",
    "table_preview",
    "table_schema",
    "table_stats",
    "table_to_parquet",
    "tables_same",
]
