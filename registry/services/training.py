"""What a model version was trained on: the versions whose outputs were its features."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from registry.models import ModelVersion

#: A stacker over more base models than this is refused (the list is checked
#: with one query, but a body of thousands of entries is an attack, not a model).
TRAINED_ON_MAX = 50


def trained_on_check(trained_on: Any) -> list[dict[str, Any]]:
    """``[{"model": name, "version": number}]``, each an existing version; or a
    ``ValidationError`` naming the first entry at fault."""
    if trained_on is None:
        return []
    if not isinstance(trained_on, list):
        raise _refused('a list of {"model": name, "version": number}')
    if len(trained_on) > TRAINED_ON_MAX:
        raise _refused(f"at most {TRAINED_ON_MAX} entries, not {len(trained_on)}")
    entries = [_entry(i, item) for i, item in enumerate(trained_on, start=1)]
    _exist_check(entries)
    return entries


def _entry(index: int, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or set(item) != {"model", "version"}:
        raise _refused(f'entry {index}: give exactly "model" and "version"')
    model, version = item["model"], item["version"]
    if not isinstance(model, str) or not 0 < len(model) <= 100:
        raise _refused(f"entry {index}: the model must be a registry name")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _refused(f"entry {index}: the version must be a number from 1")
    if version > 2**31 - 1:
        raise _refused(f"entry {index}: no version {version}")
    return {"model": model, "version": version}


def _exist_check(entries: list[dict[str, Any]]) -> None:
    if not entries:
        return
    wanted = Q()
    for entry in entries:
        wanted |= Q(model__name=entry["model"], number=entry["version"])
    found = set(
        ModelVersion.objects.filter(wanted).values_list("model__name", "number")
    )
    for entry in entries:
        if (entry["model"], entry["version"]) not in found:
            raise _refused(
                f"model {entry['model']!r} has no version {entry['version']}"
            )
    names = [entry["model"] for entry in entries]
    if len(set(names)) != len(names):
        raise _refused("each base model may be named once")


def _refused(reason: str) -> ValidationError:
    return ValidationError({"trained_on": f"trained_on: {reason}."})
