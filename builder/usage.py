"""Tells the registry which chains use a model (registered in ``ready()``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from builder.models import ChainVersionModel


def chains_using(model: Any) -> list[Any]:
    """One ``UsageRef`` per chain version and node reference to ``model``."""
    from registry.usage import UsageRef

    refs = (
        ChainVersionModel.objects.filter(model_name=model.name)
        .select_related("version__chain")
        .order_by("version__chain__name", "-version__number", "node_id")
    )
    found: dict[tuple[str, int, str], Any] = {}
    for ref in refs:
        chain, number = ref.version.chain.name, ref.version.number
        key = (chain, number, ref.reference)
        if key in found:
            continue
        url = reverse("builder:chain_detail", args=[chain]) + f"?version={number}"
        reference: int | str = (
            int(ref.reference) if ref.reference.isdigit() else ref.reference
        )
        found[key] = UsageRef(
            chain=chain, chain_version=number, reference=reference, url=url
        )
    return list(found.values())
