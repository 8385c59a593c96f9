"""Data sets: uploaded CSV or Parquet tables a run takes as input."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from collections import OrderedDict
from typing import Any

import pandas as pd
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from catena.keys import data_hash
from runner.models import Artifact, Dataset
from runner.store import artifact_get, artifact_put, artifact_write

MAX_COLUMNS = 2000


def dataset_max_bytes() -> int:
    return int(settings.CATENA_MAX_UPLOAD_MB) * 1024 * 1024


def dataset_format(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return Dataset.Format.CSV
    if lowered.endswith((".parquet", ".pq")):
        return Dataset.Format.PARQUET
    raise ValidationError({"file": f"{name!r} is neither a .csv nor a .parquet file."})


def table_read(*, data: bytes, fmt: str, name: str = "the file") -> pd.DataFrame:
    """Parse CSV or Parquet bytes into a table; raise a readable ValidationError."""
    if not data:
        raise ValidationError({"file": f"{name} is empty."})
    try:
        if fmt == Dataset.Format.CSV:
            _csv_header_check(data, name=name)
            df = pd.read_csv(io.BytesIO(data))
        else:
            df = pd.read_parquet(io.BytesIO(data), engine="pyarrow")
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        label = "CSV" if fmt == Dataset.Format.CSV else "Parquet"
        message = f"{name} could not be read as {label}: {exc}"
        raise ValidationError({"file": message}) from exc
    return table_check(df=df, name=name)


def _csv_header_check(data: bytes, *, name: str) -> None:
    """pandas renames a repeated CSV header to ``a.1``; say so instead."""
    first_line = data.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    header = next(csv.reader([first_line]), [])
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise ValidationError({"file": f"{name} repeats columns: {', '.join(dupes)}"})


def table_check(
    *, df: pd.DataFrame, name: str = "the table", field: str = "file"
) -> pd.DataFrame:
    if df.shape[1] == 0:
        raise ValidationError({field: f"{name} has no columns."})
    if df.shape[1] > MAX_COLUMNS:
        raise ValidationError({field: f"{name} has more than {MAX_COLUMNS} columns."})
    columns = [str(c) for c in df.columns]
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise ValidationError({field: f"{name} repeats columns: {', '.join(dupes)}"})
    df.columns = columns
    for column in df.columns:
        _column_check(df[column], name=name, field=field)
    if not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index(drop=True)
    return df


def _column_check(series: pd.Series, *, name: str, field: str) -> None:
    """Refuse what a table cell cannot be: lists, objects, mixed or huge numbers.

    pandas keeps such values in an object column; they can be neither hashed
    into a cache key nor written to Parquet, so they are refused up front.
    """
    if series.dtype != object:
        return
    kinds = {type(v) for v in series.dropna()}
    if kinds <= {str} or kinds <= {bool}:
        return
    found = ", ".join(sorted(_kind_name(k) for k in kinds))
    message = (
        f"{name}: column {series.name!r} mixes or holds values a table cannot "
        f"(found {found}); use numbers, strings or booleans, one kind per column, "
        "and integers within 64 bits."
    )
    raise ValidationError({field: message})


KIND_NAMES: dict[type, str] = {
    str: "text",
    bool: "boolean",
    int: "integer",
    float: "number",
    list: "list",
    dict: "object",
}


def _kind_name(kind: type) -> str:
    return KIND_NAMES.get(kind, kind.__name__)


def table_from_rows(*, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows posted as JSON objects -> a table whose row ids are 0..n-1."""
    if not rows:
        raise ValidationError({"rows": "Give at least one row."})
    if not all(isinstance(r, dict) for r in rows):
        raise ValidationError({"rows": "Each row must be a JSON object."})
    try:
        df = pd.DataFrame.from_records(rows)
    except (ValueError, TypeError) as exc:
        raise ValidationError({"rows": f"The rows do not form a table: {exc}"}) from exc
    return table_check(df=df, name="the posted rows", field="rows")


#: Posted rows (their JSON) -> their table's data hash and columns, for the
#: most recent inputs: a rerun on the same rows builds no table to hash them.
_ROWS_KEPT = 256
_posted: OrderedDict[str, tuple[str, list[str]]] = OrderedDict()
_posted_lock = threading.Lock()
#: The last few tables built to hash posted rows, by data hash, for
#: ``rows_write`` to write without building them again.
_BUILT_KEPT = 4
_built: OrderedDict[str, pd.DataFrame] = OrderedDict()


def rows_key(*, rows: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """The data hash and the columns of the table ``rows`` make (as stored by
    ``rows_write``); an invalid table raises as ``table_from_rows`` does."""
    try:
        text = json.dumps(rows, separators=(",", ":"), allow_nan=True)
    except (TypeError, ValueError):
        df = table_from_rows(rows=rows)
        return data_hash(df), [str(c) for c in df.columns]
    digest = hashlib.sha256(text.encode()).hexdigest()
    with _posted_lock:
        found = _posted.get(digest)
        if found is not None:
            _posted.move_to_end(digest)
            return found
    df = table_from_rows(rows=rows)
    found = (data_hash(df), [str(c) for c in df.columns])
    with _posted_lock:
        _posted[digest] = found
        while len(_posted) > _ROWS_KEPT:
            _posted.popitem(last=False)
        _built[found[0]] = df
        while len(_built) > _BUILT_KEPT:
            _built.popitem(last=False)
    return found


def rows_write(*, rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """Write the table of ``rows`` under ``key`` (its data hash, ``rows_key``);
    the fields of its row, for the caller to record (``artifact_record``)."""
    with _posted_lock:
        df = _built.pop(key, None)
    if df is None:
        df = table_from_rows(rows=rows)
    # Flushed to disk just after the request's own work (half of it otherwise).
    return artifact_write(key=key, df=df, durable_soon=True)


def data_artifact_ensure(*, df: pd.DataFrame) -> Artifact:
    """Store an input table under its data hash (once) and return its artifact.

    An input stored before whose file is intact is returned as it is (equal
    hashes, equal tables): a rerun on the same rows writes no file.
    """
    key = data_hash(df)
    return artifact_get(key=key) or artifact_put(key=key, df=df, durable=True)


def dataset_create(
    *,
    name: str,
    file: UploadedFile,
    owner: Any,
    description: str = "",
    target: str = "",
) -> Dataset:
    """Parse and store an uploaded CSV or Parquet file as a data set."""
    file_name = file.name or "upload"
    fmt = dataset_format(file_name)
    if file.size is not None and file.size > dataset_max_bytes():
        limit = settings.CATENA_MAX_UPLOAD_MB
        raise ValidationError({"file": f"{file_name} is larger than {limit} MB."})
    name = _name_free_check(owner=owner, name=name or file_name.rsplit(".", 1)[0])
    df = table_read(data=file.read(), fmt=fmt, name=file_name)
    target_check(target=target, columns=[str(c) for c in df.columns])
    artifact = data_artifact_ensure(df=df)
    return _dataset_save(
        name=name,
        description=description,
        owner=owner,
        artifact=artifact,
        original_name=file_name,
        fmt=fmt,
        size=file.size or 0,
        target=target,
    )


@transaction.atomic
def _dataset_save(
    *,
    name: str,
    description: str,
    owner: Any,
    artifact: Artifact,
    original_name: str,
    fmt: str,
    size: int,
    target: str = "",
) -> Dataset:
    name = _name_free_check(owner=owner, name=name)
    dataset = Dataset(
        name=name,
        description=description,
        owner=owner,
        artifact=artifact,
        original_name=original_name[:255],
        format=fmt,
        size=size,
        # The stored file's hash, taken from its bytes when they were written.
        sha256=artifact.sha256,
        target=target,
    )
    dataset.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            dataset.save()
    except IntegrityError as exc:  # the same name saved meanwhile
        raise _name_taken(name) from exc
    return dataset


def _name_free_check(*, owner: Any, name: str) -> str:
    """The name as stored; refused when the owner has a data set so named."""
    name = name[:200]
    if Dataset.objects.filter(owner=owner, name=name).exists():
        raise _name_taken(name)
    return name


def _name_taken(name: str) -> ValidationError:
    return ValidationError({"name": f"You already have a data set named {name!r}."})


def dataset_create_from_frame(
    *,
    name: str,
    df: pd.DataFrame,
    owner: Any,
    description: str = "",
    target: str = "",
) -> Dataset:
    """Store a table built in code (demo data, tests) as a data set."""
    name = _name_free_check(owner=owner, name=name)
    df = table_check(df=df, name=name)
    target_check(target=target, columns=[str(c) for c in df.columns])
    artifact = data_artifact_ensure(df=df)
    return _dataset_save(
        name=name,
        description=description,
        owner=owner,
        artifact=artifact,
        original_name=f"{name}.parquet",
        fmt=Dataset.Format.PARQUET,
        size=artifact.size,
        target=target,
    )


def target_check(*, target: str, columns: list[str]) -> None:
    """A target names one of the table's columns (or is empty: unlabelled)."""
    if target and target not in columns:
        shown = ", ".join(columns[:20]) + (", ..." if len(columns) > 20 else "")
        raise ValidationError(
            {"target": f"The table has no column {target!r}; its columns: {shown}."}
        )


@transaction.atomic
def dataset_target_set(*, dataset: Dataset, target: str, user: Any) -> Dataset:
    """Name (or clear, with "") the column runs on the data set are scored against.

    Runs started before keep the target they started with.
    """
    if dataset.owner_id != user.id and not user.is_staff:
        raise PermissionDenied("Only the data set's owner may change its target.")
    columns = [str(column[0]) for column in dataset.artifact.schema]
    target_check(target=target, columns=columns)
    dataset.target = target
    dataset.full_clean(validate_constraints=False)
    dataset.save(update_fields=["target"])
    return dataset
