"""skops files: zip archives bounded before reading, loaded with trusted types only."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pandas as pd

from registry.formats.common import Inspection, ModelFileError
from registry.formats.ziplimits import ZipLimitError, zip_open, zip_read

# A skops file of a model holds one member per array and object, a few hundred
# at most for a forest; the schema describes them and stays small.
MAX_MEMBERS = 10_000
MAX_SCHEMA_BYTES = 16 * 1024 * 1024


def skops_open(data: bytes, *, max_total_bytes: int) -> zipfile.ZipFile:
    """The archive of a skops file, refused past the bounds before any unpacking."""
    try:
        archive = zip_open(
            io.BytesIO(data), max_members=MAX_MEMBERS, max_total_bytes=max_total_bytes
        )
    except ZipLimitError as exc:
        raise ModelFileError(f"The skops file is refused: {exc}") from exc
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ModelFileError(
            "The file is not a valid skops file (a skops file is a zip archive "
            f"holding schema.json): {exc}"
        ) from exc
    if "schema.json" not in archive.namelist():
        raise ModelFileError(
            "The file is not a valid skops file (a skops file is a zip archive "
            "holding schema.json): there is no schema.json."
        )
    return archive


def skops_schema(data: bytes, *, max_total_bytes: int) -> dict[str, Any]:
    with skops_open(data, max_total_bytes=max_total_bytes) as archive:
        try:
            raw = zip_read(archive, "schema.json", MAX_SCHEMA_BYTES)
            schema = json.loads(raw)
        except ZipLimitError as exc:
            raise ModelFileError(f"The skops file is refused: {exc}") from exc
        except (zipfile.BadZipFile, ValueError, EOFError, RecursionError) as exc:
            message = f"The skops file's schema.json is damaged: {exc}"
            raise ModelFileError(message) from exc
    if not isinstance(schema, dict):
        raise ModelFileError("The skops file's schema.json is not an object.")
    return schema


def skops_inspect(
    data: bytes, sample: pd.DataFrame | None, *, max_total_bytes: int
) -> Inspection:
    """Describe a skops file; meant to run inside the sandbox."""
    import skops.io as sio

    from registry.formats.loading import load_object
    from registry.formats.signatures import signature_and_check

    schema = skops_schema(data, max_total_bytes=max_total_bytes)
    try:
        untrusted = list(sio.get_untrusted_types(data=data))
    except Exception as exc:  # skops raises many types on damaged files
        raise ModelFileError(f"The skops file cannot be read: {exc}") from exc
    found = Inspection(
        format="skops",
        library="skops",
        library_version=str(schema.get("_skops_version", "")),
        sklearn_version=_skops_sklearn_version(schema),
        untrusted_types=untrusted,
        out_of_fold=stacking_out_of_fold(schema),
    )
    if not untrusted:
        loaded, found.load_warnings = load_object(data, "skops", trusted_types=[])
        found.signature = signature_and_check(loaded, "skops", sample)
    return found


def _skops_sklearn_version(node: Any, depth: int = 0) -> str:
    """The ``_sklearn_version`` attribute recorded in the top-level estimator."""
    if not isinstance(node, dict) or depth > 3:
        return ""
    content = node.get("content")
    if isinstance(content, dict):
        version = content.get("_sklearn_version")
        if isinstance(version, dict) and "content" in version:
            return str(version["content"]).strip('"')
        return _skops_sklearn_version(content, depth + 1)
    return ""


STACKING = ("StackingRegressor", "StackingClassifier")
#: Base estimators wrapped so that fitting leaves them as they are: the
#: stacker's cross-validation then predicts with models fitted on every row.
FROZEN = '"__class__": "FrozenEstimator"'


def stacking_out_of_fold(schema: dict[str, Any]) -> bool | None:
    """Whether a scikit-learn stacking estimator learned on out-of-fold predictions.

    Read from the schema alone (nothing is loaded): ``cv="prefit"`` or frozen
    base estimators mean in-sample predictions; any other ``cv`` (None, a
    number, a splitter) cross-validates. None when the file is no stacker.
    """
    module = str(schema.get("__module__", ""))
    if schema.get("__class__") not in STACKING or not module.startswith("sklearn."):
        return None
    state = schema.get("content", {})
    attributes = state.get("content", {}) if isinstance(state, dict) else {}
    cv = attributes.get("cv") if isinstance(attributes, dict) else None
    if isinstance(cv, dict) and cv.get("__loader__") == "JsonNode":
        try:
            if json.loads(str(cv.get("content"))) == "prefit":
                return False
        except ValueError:
            return None
    return FROZEN not in json.dumps(attributes.get("estimators"))
