"""Tells the registry which chains use a model (registered in ``ready()``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from builder.models import ChainVersionModel


def chains_using(names: list[str]) -> dict[str, list[Any]]:
    """For each model name, one ``UsageRef`` per chain version and reference."""
    refs = (
        ChainVersionModel.objects.filter(model_name__in=names)
        .select_related("version__chain")
        .order_by("version__chain__name", "-version__number", "node_id")
    )
    found: dict[str, dict[tuple[str, int, str], Any]] = {name: {} for name in names}
    for ref in refs:
        key = (ref.version.chain.name, ref.version.number, ref.reference)
        if key not in found[ref.model_name]:
            found[ref.model_name][key] = _usage_ref(*key)
    return {name: list(by_key.values()) for name, by_key in found.items()}


def _usage_ref(chain: str, number: int, written: str) -> Any:
    from registry.usage import UsageRef

    url = reverse("builder:chain_detail", args=[chain]) + f"?version={number}"
    reference: int | str = int(written) if written.isdigit() else written
    return UsageRef(chain=chain, chain_version=number, reference=reference, url=url)
