"""Writes of the registry: models, versions, aliases, trust decisions."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Max

from config.exceptions import CatenaAppError
from registry import formats
from registry.models import Alias, AliasMove, ModelVersion, RegisteredModel, TrustRecord

RESERVED_ALIASES = frozenset({"latest"})


# Permissions -----------------------------------------------------------------
def can_change(*, model: RegisteredModel, user: Any) -> bool:
    """Owner or staff may add versions and move aliases."""
    return bool(user.is_staff or model.owner_id == user.pk)


def _require_change(*, model: RegisteredModel, user: Any) -> None:
    if not can_change(model=model, user=user):
        raise CatenaAppError(
            f"Only the owner of '{model.name}' or a staff user may change it.",
            {"model": model.name},
            status=403,
        )


def _require_staff(*, user: Any) -> None:
    if not user.is_staff:
        raise CatenaAppError("Only a staff user may trust a model version.", status=403)


# Models ----------------------------------------------------------------------
# Chain documents refer to models by name and allow names of at most 80
# characters (builder/limits.py); a longer name could never be used in a chain.
NAME_MAX_LENGTH = 80
# Descriptions and version notes: prose, not data (a request may be far larger).
TEXT_MAX_LENGTH = 10_000


def text_check(*, field: str, value: str) -> None:
    if len(value) > TEXT_MAX_LENGTH:
        raise ValidationError(
            {
                field: f"{field.capitalize()} are at most {TEXT_MAX_LENGTH:,} "
                f"characters; this has {len(value):,}."
            }
        )


@transaction.atomic
def registered_model_create(
    *, name: str, owner: Any, title: str = "", description: str = ""
) -> RegisteredModel:
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            {
                "name": f"Model names are at most {NAME_MAX_LENGTH} characters "
                f"(chains refer to them); this one has {len(name)}."
            }
        )
    text_check(field="description", value=description)
    model = RegisteredModel(
        name=name, owner=owner, title=title or name, description=description
    )
    model.full_clean()
    model.save()
    return model


# Versions --------------------------------------------------------------------
def max_upload_bytes() -> int:
    return int(settings.CATENA_MAX_UPLOAD_MB) * 1024 * 1024


def upload_too_big(size: int) -> str | None:
    """The message for a file above the limit, else None."""
    limit = int(settings.CATENA_MAX_UPLOAD_MB)
    if size > max_upload_bytes():
        mb = size / 1024 / 1024
        return f"The file is {mb:.1f} MB; the upload limit is {limit} MB."
    return None


def model_version_create(
    *,
    model: RegisteredModel,
    file: File[Any],
    uploaded_by: Any,
    notes: str = "",
    sample: File[Any] | None = None,
    metrics: dict[str, Any] | None = None,
    python_version: str = "",
    sklearn_version: str = "",
    numpy_version: str = "",
) -> ModelVersion:
    """Check an upload, learn its signature, then store it as the next version.

    The inspection (which may load a skops or ONNX model and run it on the
    sample) happens before the model row is locked, so that a slow upload does
    not hold up others; numbering and storing happen in one short transaction.
    """
    _require_change(model=model, user=uploaded_by)
    text_check(field="notes", value=notes)
    data = _read_upload(file, field="file")
    sample_data = _read_upload(sample, field="sample") if sample else None
    inspection = _inspect(data, file.name or "", sample_data)
    fields = {
        "format": inspection.format,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "original_filename": (file.name or "")[:255],
        "library": inspection.library,
        "library_version": inspection.library_version[:50],
        "python_version": (inspection.python_version or python_version)[:30],
        "sklearn_version": (inspection.sklearn_version or sklearn_version)[:30],
        "numpy_version": (inspection.numpy_version or numpy_version)[:30],
        "methods": inspection.methods,
        "signature": inspection.signature or {},
        "metrics": _metrics(metrics),
        "notes": notes,
        "untrusted_types": inspection.untrusted_types,
        "trusted": not inspection.needs_trust,
        "load_warnings": inspection.load_warnings,
        "uploaded_by": uploaded_by,
    }
    return _version_store(model=model, data=data, sample=sample_data, fields=fields)


def _read_upload(file: File[Any] | None, *, field: str) -> bytes:
    if file is None:
        raise ValidationError({field: "Choose a file to upload."})
    too_big = upload_too_big(int(file.size or 0))
    if too_big:
        raise CatenaAppError(
            too_big,
            {"field": field, "limit_mb": settings.CATENA_MAX_UPLOAD_MB},
            status=413,
        )
    file.seek(0)
    return bytes(file.read())


def _inspect(data: bytes, filename: str, sample: bytes | None) -> formats.Inspection:
    frame: pd.DataFrame | None = None
    try:
        frame = formats.read_sample(sample) if sample is not None else None
    except formats.ModelFileError as exc:
        raise ValidationError({"sample": str(exc)}) from exc
    try:
        return formats.inspect(data, filename, frame)
    except formats.ModelFileError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    except formats.ModelRunError as exc:
        field = "sample" if frame is not None else "file"
        raise ValidationError({field: str(exc)}) from exc


METRICS_MAX_CHARS = 65_536


def metrics_parse(metrics: Any) -> dict[str, Any]:
    """Metrics as a JSON object (given as text or a dict) of finite numbers.

    Raises ``ValueError`` with a message for the user: not JSON, nested too
    deeply, too long, not an object, or holding NaN or infinities (which JSON
    cannot carry, so they could be neither stored nor shown).
    """
    if metrics in (None, ""):
        return {}
    if isinstance(metrics, str):
        if len(metrics) > METRICS_MAX_CHARS:
            raise ValueError(
                f"Metrics are {len(metrics):,} characters long; "
                f"the limit is {METRICS_MAX_CHARS:,}."
            )
        try:
            metrics = json.loads(metrics, parse_constant=_constant_refuse)
        except RecursionError:
            raise ValueError("Metrics are not JSON: nested too deeply.") from None
        except ValueError as exc:
            raise ValueError(f"Metrics are not JSON: {exc}") from None
    if not isinstance(metrics, dict):
        raise ValueError('Metrics must be a JSON object, e.g. {"rmse": 1.2}.')
    try:
        json.dumps(metrics, allow_nan=False)
    except RecursionError:
        raise ValueError("Metrics are nested too deeply.") from None
    except (ValueError, TypeError) as exc:
        raise ValueError(f"Metrics must be plain JSON values: {exc}") from None
    return metrics


def _constant_refuse(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; give a finite number or null")


def _metrics(metrics: Any) -> dict[str, Any]:
    try:
        return metrics_parse(metrics)
    except ValueError as exc:
        raise ValidationError({"metrics": str(exc)}) from None


@transaction.atomic
def _version_store(
    *,
    model: RegisteredModel,
    data: bytes,
    sample: bytes | None,
    fields: dict[str, Any],
) -> ModelVersion:
    # The row lock serializes numbering between concurrent uploads to one model;
    # the unique (model, number) constraint backs it up.
    RegisteredModel.objects.select_for_update().get(pk=model.pk)
    last = model.versions.aggregate(n=Max("number"))["n"] or 0
    version = ModelVersion(model=model, number=last + 1, **fields)
    stored: list[str] = []
    try:
        version.file.save("model." + _ext(fields), ContentFile(data), save=False)
        stored.append(version.file.name)
        if sample is not None:
            version.sample.save("sample.csv", ContentFile(sample), save=False)
            stored.append(version.sample.name)
        version.full_clean()
        version.save()
    except BaseException:
        _delete_files(stored)
        raise
    return version


def _ext(fields: dict[str, Any]) -> str:
    fmt = str(fields["format"])
    return "pkl" if fmt == "pickle" else fmt


def _delete_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)


# Trust -----------------------------------------------------------------------
@transaction.atomic
def model_version_trust(
    *, version: ModelVersion, user: Any, types: list[str] | None = None, note: str = ""
) -> ModelVersion:
    """A staff decision: trust exactly the listed types (or this pickle) and load.

    Loading a trusted pickle runs whatever code it holds; that is the decision.
    """
    _require_staff(user=user)
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if version.trusted:
        return version
    listed = list(version.untrusted_types)
    if types is not None and sorted(types) != sorted(listed):
        raise ValidationError(
            {"types": f"Trust exactly the listed types: {', '.join(listed)}."}
        )
    _load_and_describe(version)
    version.trusted = True
    version.full_clean()
    version.save()
    TrustRecord.objects.create(
        version=version, types=listed, trusted_by=user, note=note[:200]
    )
    return version


def _load_and_describe(version: ModelVersion) -> None:
    with version.file.open("rb") as handle:
        data = handle.read()
    frame = None
    if version.sample:
        with version.sample.open("rb") as handle:
            frame = formats.read_sample(handle.read())
    try:
        obj, warnings = formats.load_object(
            data,
            version.format,
            trusted_types=list(version.untrusted_types),
            trusted=True,
        )
        if version.format != "onnx":
            version.signature = formats.signature_and_check(obj, version.format, frame)
    except (formats.ModelFileError, formats.ModelRunError) as exc:
        raise ValidationError(str(exc)) from exc
    version.methods = list(version.signature.get("outputs", {}))
    version.load_warnings = warnings
    if not version.sklearn_version:
        version.sklearn_version = str(getattr(obj, "_sklearn_version", ""))[:30]


# Aliases ---------------------------------------------------------------------
@transaction.atomic
def alias_set(*, model: RegisteredModel, alias: str, number: int, user: Any) -> Alias:
    """Point ``alias`` at version ``number``; the move is recorded with who/when."""
    _require_change(model=model, user=user)
    if alias in RESERVED_ALIASES:
        raise ValidationError({"alias": "'latest' is implicit: the highest version."})
    RegisteredModel.objects.select_for_update().get(pk=model.pk)
    version = model.versions.filter(number=number).first()
    if version is None:
        raise ValidationError({"version": f"'{model.name}' has no version {number}."})
    current = Alias.objects.filter(model=model, name=alias).first()
    if current is not None and current.version_id == version.pk:
        return current
    previous = current.version if current is not None else None
    target = current or Alias(model=model, name=alias)
    target.version = version
    target.moved_by = user
    target.full_clean()
    target.save()
    AliasMove.objects.create(
        model=model,
        alias=alias,
        from_version=previous,
        to_version=version,
        moved_by=user,
    )
    return target


@transaction.atomic
def registered_model_upload(
    *,
    name: str,
    owner: Any,
    file: File[Any],
    title: str = "",
    description: str = "",
    **version: Any,
) -> ModelVersion:
    """A new model and its first version, both or neither."""
    model = registered_model_create(
        name=name, owner=owner, title=title, description=description
    )
    return model_version_create(model=model, file=file, uploaded_by=owner, **version)
