"""Moving aliases, with the impact on the chains that follow them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from config.exceptions import CatenaAppError
from registry.impact import Impact, impact_of
from registry.models import (
    Alias,
    AliasMove,
    AliasMoveBreak,
    RegisteredModel,
)
from registry.services.core import (
    RESERVED_ALIASES,
    _require_change,
)


@transaction.atomic
def alias_set(
    *, model: RegisteredModel, alias: str, number: int, user: Any, force: bool = False
) -> Alias:
    """Point ``alias`` at version ``number``; the move is recorded with who/when.

    The chain versions following the alias are validated against the version
    first (``registry.impact``). A move that would break a live chain is
    refused with a 409 naming what breaks, unless ``force``; a forced move
    records what it broke.
    """
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
    impact = impact_of(version=version, alias=alias)
    if impact.broken_live and not force:
        raise CatenaAppError(
            f"Moving @{alias} to v{number} would break a live chain "
            f"({impact.summary}); confirm with force to move it anyway.",
            {"impact": impact.as_dict()},
            status=409,
        )
    previous = current.version if current is not None else None
    target = current or Alias(model=model, name=alias)
    target.version = version
    target.moved_by = user
    target.full_clean()
    target.save()
    move = AliasMove.objects.create(
        model=model,
        alias=alias,
        from_version=previous,
        to_version=version,
        moved_by=user,
    )
    _breaks_record(move, impact)
    return target


def _breaks_record(move: AliasMove, impact: Impact) -> None:
    AliasMoveBreak.objects.bulk_create(
        AliasMoveBreak(
            move=move,
            chain=reached.chain,
            chain_version=reached.chain_version,
            live=reached.live,
            node=breakage.node or "",
            code=breakage.code,
            data=breakage.data,
            message=breakage.message[:500],
        )
        for reached in impact.broken
        for breakage in reached.breaks
    )
