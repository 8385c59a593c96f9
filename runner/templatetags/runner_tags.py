"""Template helpers: the run-start form's data sets, links to the registry."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

from runner import selectors
from runner.models import Dataset

register = template.Library()


@register.simple_tag
def runner_datasets(version: Any = None, limit: int = 50) -> list[Dataset]:
    """Data sets for the run-start form; those that fit ``version``'s input first."""
    if version is None:
        return list(Dataset.objects.only("id", "name", "created")[:limit])
    return selectors.dataset_list_for_document(document=version.document, limit=limit)


@register.simple_tag
def model_version_url(name: str, version: Any) -> str:
    """The registry page of a model version (of the model when no version)."""
    try:
        if version:
            return reverse("registry:version_detail", args=[name, version])
        return reverse("registry:model_detail", args=[name])
    except NoReverseMatch:
        return f"/api/models/{name}/"


@register.filter
def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s"


@register.filter
def preview_rows(preview: dict[str, Any]) -> list[tuple[Any, list[Any]]]:
    """Each preview row with its row id."""
    rows = preview.get("rows", [])
    index = preview.get("index") or list(range(len(rows)))
    return list(zip(index, rows, strict=False))


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """``mapping[key]``, or None: a metric a variant has no value for."""
    return mapping.get(key) if isinstance(mapping, dict) else None
