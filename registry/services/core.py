"""Writes of the registry: models and their versions, uploads, permissions."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Max

from accounts import teams
from config.exceptions import CatenaAppError
from config.parsers import unsafe_text
from registry import formats
from registry.models import (
    ModelVersion,
    RegisteredModel,
)
from registry.services.training import trained_on_check

RESERVED_ALIASES = frozenset({"latest"})


# Permissions -----------------------------------------------------------------
def can_change(*, model: RegisteredModel, user: Any) -> bool:
    """Staff, the owner and members of the owning team add versions, move aliases."""
    if user.is_staff or model.owner_id == user.pk:
        return True
    return teams.team_member(team_id=model.team_id, user=user)


def _require_change(*, model: RegisteredModel, user: Any) -> None:
    if not can_change(model=model, user=user):
        raise CatenaAppError(
            f"Only the owner of '{model.name}', a member of its team or a staff "
            "user may change it.",
            {"model": model.name},
            status=403,
        )


def can_give(*, model: RegisteredModel, user: Any) -> bool:
    """Staff, the owner and admins of the owning team may change the team."""
    if user.is_staff or model.owner_id == user.pk:
        return True
    return model.team is not None and teams.team_admin(team=model.team, user=user)


@transaction.atomic
def registered_model_team_set(
    *, model: RegisteredModel, team: str | None, user: Any
) -> RegisteredModel:
    """Give ``model`` to the team called ``team`` (None or "": to no team)."""
    if not can_give(model=model, user=user):
        raise CatenaAppError(
            f"Only the owner of '{model.name}', an admin of its team or a staff "
            "user may change its team.",
            {"model": model.name},
            status=403,
        )
    model.team = teams.team_for_object(name=team, user=user)
    model.save(update_fields=["team"])
    return model


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
    *,
    name: str,
    owner: Any,
    title: str = "",
    description: str = "",
    team: str | None = None,
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
        name=name,
        owner=owner,
        title=title or name,
        description=description,
        team=teams.team_for_object(name=team, user=owner),
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
    trained_on: list[Any] | None = None,
    out_of_fold: bool | None = None,
) -> ModelVersion:
    """Check an upload, learn its signature, then store it as the next version.

    ``trained_on`` names the versions whose outputs were its features (a
    stacker); ``out_of_fold`` says whether they were cross-validated, else it
    is read from a scikit-learn stacking estimator's ``cv`` (which wins).

    The inspection (which may load a skops or ONNX model and run it on the
    sample) happens before the model row is locked, so that a slow upload does
    not hold up others; numbering and storing happen in one short transaction.
    """
    _require_change(model=model, user=uploaded_by)
    text_check(field="notes", value=notes)
    trained = trained_on_check(trained_on)
    data = _read_upload(file, field="file")
    sample_data = _read_upload(sample, field="sample") if sample else None
    inspection = _inspect(data, file.name or "", sample_data)
    unsafe = unsafe_text(inspection.signature)
    if unsafe:
        raise ValidationError({"file": f"The model's signature: {unsafe.message}"})
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
        "trained_on": trained,
        "out_of_fold": _out_of_fold(inspection.out_of_fold, out_of_fold),
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


def sandbox_limits() -> formats.Limits:
    """The bounds of the process that reads uploaded model files."""
    return formats.Limits(
        memory_mb=int(getattr(settings, "CATENA_SANDBOX_MEMORY_MB", 2048)),
        cpu_seconds=int(getattr(settings, "CATENA_SANDBOX_CPU_SECONDS", 60)),
        wall_seconds=float(getattr(settings, "CATENA_SANDBOX_WALL_SECONDS", 120)),
        max_total_bytes=int(getattr(settings, "CATENA_MAX_UNCOMPRESSED_MB", 512))
        * 1024
        * 1024,
    )


def _inspect(data: bytes, filename: str, sample: bytes | None) -> formats.Inspection:
    try:
        if sample is not None:
            formats.read_sample(sample)
    except formats.ModelFileError as exc:
        raise ValidationError({"sample": str(exc)}) from exc
    try:
        return formats.inspect(data, filename, sample, limits=sandbox_limits())
    except formats.ModelRunError as exc:
        field = "sample" if sample is not None else "file"
        raise ValidationError({field: str(exc)}) from exc
    except formats.ModelFileError as exc:
        raise ValidationError({"file": str(exc)}) from exc


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
    unsafe = unsafe_text(metrics)
    if unsafe:
        raise ValueError(f"Metrics: {unsafe.message}")
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
def registered_model_upload(
    *,
    name: str,
    owner: Any,
    file: File[Any],
    title: str = "",
    description: str = "",
    team: str | None = None,
    **version: Any,
) -> ModelVersion:
    """A new model and its first version, both or neither."""
    model = registered_model_create(
        name=name, owner=owner, title=title, description=description, team=team
    )
    return model_version_create(model=model, file=file, uploaded_by=owner, **version)


def _out_of_fold(read: bool | None, given: bool | None) -> bool | None:
    """What the file says wins over what the uploader says (it is the fact)."""
    return read if read is not None else given
