"""A run's input: a stored table (a data set's, an earlier run's), or rows
posted with it, whose file is written before the run and whose row is recorded
in the run's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from runner.models import Artifact, Dataset, Run
from runner.services.datasets import rows_key, rows_write
from runner.services.submission_checks import columns_check
from runner.store import ABSENT, artifact_record


def run_input(
    *,
    dataset: Dataset | None,
    rows: list[dict[str, Any]] | None,
    reuse_from: Run | None,
    wanted: set[str],
) -> Artifact | str:
    """The stored input, or the data hash of the posted rows (stored later,
    unless stored already)."""
    given = [x for x in (dataset, rows, reuse_from) if x is not None]
    if len(given) != 1:
        raise ValidationError(
            "Give exactly one input: a data set, rows, or an earlier run to reuse."
        )
    stored = dataset.artifact if dataset is not None else None
    if reuse_from is not None:
        stored = reuse_from.input
    if stored is not None:
        columns_check(wanted, {column[0] for column in stored.schema})
        return stored
    key, columns = rows_key(rows=rows or [])
    columns_check(wanted, set(columns))
    return key


def rows_stored(keys: list[str]) -> dict[str, Artifact]:
    """The rows under ``keys``, their files intact or not (what a submission
    does not read of them left unread: JSON decoded for nothing)."""
    found = Artifact.objects.filter(key__in=keys).defer(
        "preview", "stats", "environment"
    )
    return {a.key: a for a in found}


@dataclass
class PostedRows:
    """Posted rows whose file is written and whose row is to be recorded."""

    key: str
    fields: dict[str, Any]
    found: dict[str, Artifact]

    def record(self) -> Artifact:
        known = self.found.get(self.key, ABSENT)
        return artifact_record(key=self.key, fields=self.fields, known=known)


def run_source(
    given: Artifact | str,
    rows: list[dict[str, Any]] | None,
    rows_found: dict[str, Artifact],
    found: dict[str, Artifact],
) -> Artifact | PostedRows:
    """The stored input; else posted rows stored intact already; else the
    posted rows' file written now, its row for the run's transaction to record
    (the row found under its key, a file gone or corrupt, rewritten)."""
    if isinstance(given, Artifact):
        return given
    if given in found:
        return found[given]
    return PostedRows(given, rows_write(rows=rows or [], key=given), rows_found)
