"""Trust decisions on versions that run code when loaded (staff only)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from registry import formats
from registry.models import (
    ModelVersion,
    TrustRecord,
)
from registry.services.core import (
    _require_staff,
    sandbox_limits,
)


def model_version_trust(
    *, version: ModelVersion, user: Any, types: list[str] | None = None, note: str = ""
) -> ModelVersion:
    """A staff decision: trust exactly the listed types (or this pickle) and load.

    The decision is recorded first, in its own transaction, whatever the load
    then does. The load runs in the sandbox, never in this process: a pickle
    that runs code when loaded runs it there, within the sandbox's limits.
    """
    version, listed = _trust_record(version=version, user=user, types=types, note=note)
    if version.trusted:
        return version
    described = _describe(version, listed)
    return _trust_apply(version=version, described=described)


@transaction.atomic
def _trust_record(
    *, version: ModelVersion, user: Any, types: list[str] | None, note: str
) -> tuple[ModelVersion, list[str]]:
    _require_staff(user=user)
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    listed = list(version.untrusted_types)
    if version.trusted:
        return version, listed
    if types is not None and sorted(types) != sorted(listed):
        raise ValidationError(
            {"types": f"Trust exactly the listed types: {', '.join(listed)}."}
        )
    TrustRecord.objects.create(
        version=version, types=listed, trusted_by=user, note=note[:200]
    )
    return version, listed


def _describe(version: ModelVersion, listed: list[str]) -> dict[str, Any]:
    with version.file.open("rb") as handle:
        data = handle.read()
    sample = None
    if version.sample:
        with version.sample.open("rb") as handle:
            sample = handle.read()
    try:
        return formats.describe(
            data,
            sample,
            fmt=version.format,
            trusted_types=listed,
            limits=sandbox_limits(),
        )
    except (formats.ModelFileError, formats.ModelRunError) as exc:
        raise ValidationError(str(exc)) from exc


@transaction.atomic
def _trust_apply(*, version: ModelVersion, described: dict[str, Any]) -> ModelVersion:
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if described.get("signature") is not None:
        version.signature = described["signature"]
    version.methods = list(version.signature.get("outputs", {}))
    version.load_warnings = list(described.get("warnings", []))
    if not version.sklearn_version:
        version.sklearn_version = str(described.get("sklearn_version", ""))[:30]
    version.trusted = True
    version.full_clean()
    version.save()
    return version


# Aliases ---------------------------------------------------------------------
