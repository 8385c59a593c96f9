"""Reads of the builder app."""

from __future__ import annotations

from typing import Any

from django.db.models import Max, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts import teams
from builder.models import Chain, ChainDraft, ChainVersion, ChainVersionModel
from catena import steps
from registry.models import Alias, ModelVersion, RegisteredModel


def chain_can_edit(*, chain: Chain, user: Any) -> bool:
    """Staff, the owner and members of the owning team may change a chain;
    every logged-in user may read it."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or chain.owner_id == user.pk:
        return True
    return teams.team_member(team_id=chain.team_id, user=user)


def chain_can_give(*, chain: Chain, user: Any) -> bool:
    """Staff, the owner and admins of the owning team may change its team."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or chain.owner_id == user.pk:
        return True
    return chain.team is not None and teams.team_admin(team=chain.team, user=user)


def chain_list(*, search: str = "", owner: str = "", team: str = "") -> QuerySet[Chain]:
    chains = Chain.objects.select_related("owner", "team", "live_version").annotate(
        latest_number=Max("versions__number")
    )
    # PostgreSQL refuses NUL in any text parameter; no stored text holds one.
    search = search.replace("\x00", "")
    if search:
        chains = chains.filter(
            Q(name__icontains=search)
            | Q(title__icontains=search)
            | Q(description__icontains=search)
        )
    if "\x00" in owner:
        return chains.none()
    if owner:
        chains = chains.filter(owner__username=owner)
    if "\x00" in team:
        return chains.none()
    if team:
        chains = chains.filter(team__name=team)
    return chains.order_by("name")


def chain_get(*, name: str) -> Chain:
    return get_object_or_404(
        Chain.objects.select_related("owner", "team", "live_version"), name=name
    )


def chain_version_get(*, chain_name: str, number: int) -> ChainVersion:
    return get_object_or_404(
        ChainVersion.objects.select_related("chain", "saved_by"),
        chain__name=chain_name,
        number=number,
    )


def chain_version_latest(*, chain: Chain) -> ChainVersion | None:
    return (
        ChainVersion.objects.select_related("saved_by")
        .filter(chain=chain)
        .order_by("-number")
        .first()
    )


def chain_version_list(*, chain: Chain) -> QuerySet[ChainVersion]:
    return (
        ChainVersion.objects.select_related("saved_by")
        .filter(chain=chain)
        .order_by("-number")
    )


def chain_draft_get(*, chain: Chain, user: Any) -> ChainDraft | None:
    return ChainDraft.objects.filter(chain=chain, user=user).first()


def chains_using_model(*, model_name: str) -> QuerySet[Chain]:
    """Chains any of whose versions references the model ``model_name``."""
    chain_ids = ChainVersionModel.objects.filter(model_name=model_name).values(
        "version__chain_id"
    )
    return Chain.objects.filter(id__in=chain_ids).order_by("name")


def palette_get() -> dict[str, Any]:
    """Step kinds with their params schema, and registered models with versions."""
    kinds = [
        {
            "kind": kind.kind,
            "title": kind.TITLE,
            "description": kind.DESCRIPTION,
            "params": steps.params_json_schema(kind.kind),
        }
        for kind in steps.kinds()
    ]
    return {"kinds": kinds, "models": _palette_models(), "chains": _palette_chains()}


def _palette_chains() -> list[dict[str, Any]]:
    """Saved chains with at least one version, for the palette's Chains section."""
    numbers: dict[int, list[int]] = {}
    rows = ChainVersion.objects.order_by("number").values_list("chain_id", "number")
    for chain_id, number in rows:
        numbers.setdefault(chain_id, []).append(number)
    chains = Chain.objects.filter(id__in=numbers).select_related("live_version")
    return [
        {
            "name": chain.name,
            "title": chain.display_title,
            "versions": numbers[chain.id],
            "latest": numbers[chain.id][-1],
            "live": chain.live_version.number if chain.live_version else None,
        }
        for chain in chains.order_by("name")
    ]


def _palette_models() -> list[dict[str, Any]]:
    models = RegisteredModel.objects.prefetch_related(
        Prefetch("versions", queryset=ModelVersion.objects.order_by("number")),
        Prefetch("aliases", queryset=Alias.objects.select_related("version")),
    ).order_by("name")
    return [_palette_model(model) for model in models]


def _palette_model(model: RegisteredModel) -> dict[str, Any]:
    versions = [
        {
            "number": v.number,
            "signature": v.signature,
            "trusted": v.trusted,
            "format": v.format,
            "sha256": v.sha256,
        }
        for v in model.versions.all()
    ]
    latest = versions[-1] if versions else None
    return {
        "name": model.name,
        "title": model.title or model.name,
        "description": model.description,
        "versions": versions,
        "latest": latest["number"] if latest else None,
        "aliases": {alias.name: alias.version.number for alias in model.aliases.all()},
        "signature": latest["signature"] if latest else {},
        "trusted": latest["trusted"] if latest else False,
    }
