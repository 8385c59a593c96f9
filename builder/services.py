"""Writes of the builder app: chains, versions, the live version, drafts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from accounts import teams
from builder.limits import document_limits_check
from builder.models import Chain, ChainDraft, ChainVersion, ChainVersionModel
from builder.selectors import chain_can_edit, chain_can_give, chain_version_latest
from builder.validation import chain_validate, errors_of
from catena.graph import canonical_hash
from catena.resolving import Resolver
from config.exceptions import CatenaAppError
from registry import services as registry_services

__all__ = [
    "chain_create",
    "chain_draft_delete",
    "chain_draft_save",
    "chain_edit_check",
    "chain_live_set",
    "chain_team_set",
    "chain_validate",
    "chain_version_save",
]

User = AbstractBaseUser | AnonymousUser


def chain_edit_check(*, chain: Chain, user: Any) -> None:
    """Raise a 403 ``CatenaAppError`` unless ``user`` may change ``chain``."""
    if not chain_can_edit(chain=chain, user=user):
        raise CatenaAppError(
            f"Only the owner of chain '{chain.name}', a member of its team or "
            "staff may change it.",
            {"chain": chain.name},
            status=403,
        )


@transaction.atomic
def chain_team_set(*, chain: Chain, team: str | None, user: Any) -> Chain:
    """Give ``chain`` to the team called ``team`` (None or "": to no team)."""
    if not chain_can_give(chain=chain, user=user):
        raise CatenaAppError(
            f"Only the owner of chain '{chain.name}', an admin of its team or "
            "staff may change its team.",
            {"chain": chain.name},
            status=403,
        )
    chain.team = teams.team_for_object(name=team, user=user)
    chain.save(update_fields=["team", "updated"])
    return chain


# Path segments that sit where a chain name does: /chains/new, /api/chains/import.
RESERVED_CHAIN_NAMES = frozenset({"new", "import"})


@transaction.atomic
def chain_create(
    *,
    name: str,
    owner: Any,
    title: str = "",
    description: str = "",
    team: str | None = None,
) -> Chain:
    if name in RESERVED_CHAIN_NAMES:
        raise CatenaAppError(
            f"'{name}' names a page or an action; choose another chain name.",
            {"fields": {"name": [f"'{name}' is reserved."]}},
        )
    if Chain.objects.filter(name=name).exists():
        raise CatenaAppError(
            f"A chain named '{name}' already exists.",
            {"fields": {"name": ["A chain with this name already exists."]}},
            status=409,
        )
    registry_services.text_check(field="description", value=description)
    chain = Chain(
        name=name,
        owner=owner,
        title=title,
        description=description,
        team=teams.team_for_object(name=team, user=owner),
    )
    chain.full_clean()
    chain.save()
    return chain


@transaction.atomic
def chain_version_save(
    *,
    chain: Chain,
    document: dict[str, Any],
    user: Any,
    message: str = "",
    resolver: Resolver | None = None,
) -> tuple[ChainVersion, bool]:
    """Save ``document`` as the next version; return it and whether it is new.

    A document identical to the latest version (same hash and same layout)
    returns the latest version unchanged. A document with problems is refused:
    it may be kept only as a draft.
    """
    chain_edit_check(chain=chain, user=user)
    # The row lock serializes numbering between two concurrent saves.
    chain = Chain.objects.select_for_update().get(pk=chain.pk)
    problems, _ = chain_validate(document, resolver=resolver, chain=chain.name)
    errors = errors_of(problems)
    if errors:
        raise CatenaAppError(
            f"The graph has {len(errors)} problem(s); it can be kept only as a "
            f"draft: {errors[0]['message']}",
            {"problems": problems},
        )
    digest = canonical_hash(document)
    latest = chain_version_latest(chain=chain)
    if latest is not None and _same(latest, document, digest):
        return latest, False
    version = _version_create(chain, document, digest, user, message, latest)
    ChainDraft.objects.filter(chain=chain, user=user).delete()
    return version, True


def _same(latest: ChainVersion, document: dict[str, Any], digest: str) -> bool:
    return latest.hash == digest and latest.document.get("layout", {}) == (
        document.get("layout", {})
    )


def _version_create(
    chain: Chain,
    document: dict[str, Any],
    digest: str,
    user: Any,
    message: str,
    latest: ChainVersion | None,
) -> ChainVersion:
    version = ChainVersion(
        chain=chain,
        number=(latest.number + 1) if latest else 1,
        document=document,
        hash=digest,
        saved_by=user,
        message=message,
    )
    version.full_clean()
    version.save()
    ChainVersionModel.objects.bulk_create(
        ChainVersionModel(
            version=version, node_id=node_id, model_name=name, reference=ref
        )
        for node_id, name, ref in model_references(document)
    )
    chain.save(update_fields=["updated"])
    return version


def model_references(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Return ``(node_id, model_name, reference)`` of every model node and of
    every optimize node's predictor."""
    refs = []
    for node in document.get("nodes", []):
        params = node.get("params", {})
        if node.get("kind") == "optimize":
            params = params.get("predictor", {})
        elif node.get("kind") != "model":
            continue
        if "model" not in params:  # a saved chain predicts: not a model reference
            continue
        refs.append(
            (node["id"], params["model"], str(params.get("version", "@latest")))
        )
    return refs


@transaction.atomic
def chain_live_set(*, chain: Chain, number: int | None, user: Any) -> Chain:
    """Mark version ``number`` live (``None`` clears it)."""
    chain_edit_check(chain=chain, user=user)
    version = None
    if number is not None:
        version = ChainVersion.objects.filter(chain=chain, number=number).first()
        if version is None:
            raise CatenaAppError(
                f"Chain '{chain.name}' has no version {number}.",
                {"fields": {"number": [f"No version {number}."]}},
            )
    chain.live_version = version
    chain.full_clean()
    chain.save(update_fields=["live_version", "updated"])
    return chain


@transaction.atomic
def chain_draft_save(
    *, chain: Chain, user: Any, document: Any, base_number: int | None = None
) -> ChainDraft:
    """Keep the user's unsaved editor work; it may have problems, not break limits."""
    chain_edit_check(chain=chain, user=user)
    if not isinstance(document, dict):
        raise CatenaAppError(
            "A draft must be a JSON object.",
            {"fields": {"document": ["Not an object."]}},
        )
    document_limits_check(document)
    draft, _ = ChainDraft.objects.get_or_create(
        chain=chain, user=user, defaults={"document": document}
    )
    draft.document = document
    draft.base_number = base_number
    draft.full_clean()
    draft.save()
    return draft


@transaction.atomic
def chain_draft_delete(*, chain: Chain, user: Any) -> None:
    ChainDraft.objects.filter(chain=chain, user=user).delete()
