"""Tells the registry what an alias move would do to chains (registered in ``ready()``).

Also the chain page's "newer versions of the models this chain follows": the
same check, one chain version against each newer model version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from builder.models import Chain, ChainVersion, ChainVersionModel
from catena import graph as catena_graph
from catena import validation
from catena.errors import GraphDocumentError
from catena.resolving import Resolver
from registry.impact import Breakage, CandidateResolver, Reached, breakages
from registry.models import AliasMoveBreak, ModelVersion, RegisteredModel
from registry.selectors import version_by_reference

#: Newer model versions listed per followed model on a chain page.
UPCOMING_LIMIT = 5


def chains_following(
    *, model: str, alias: str, candidate: Resolver, baseline: Resolver
) -> list[Reached]:
    """Each chain's live and latest versions that refer to ``model@alias``."""
    versions = _reached_versions(model, alias)
    seen: dict[str, tuple[Breakage, ...]] = {}
    reached = []
    for version in versions:
        if version.hash not in seen:
            seen[version.hash] = tuple(
                version_breakages(version.document, candidate, baseline)
            )
        live = version.chain.live_version_id == version.pk
        reached.append(_reached(version, live, seen[version.hash]))
    return reached


def _reached_versions(model: str, alias: str) -> list[ChainVersion]:
    referring = ChainVersionModel.objects.filter(
        model_name=model, reference=f"@{alias}"
    ).values("version_id")
    latest = ChainVersion.objects.filter(chain=OuterRef("pk")).order_by("-number")
    chains = Chain.objects.filter(
        id__in=ChainVersion.objects.filter(id__in=referring).values("chain_id")
    ).annotate(latest_id=Subquery(latest.values("id")[:1]))
    wanted: set[int] = set()
    for live_id, latest_id in chains.values_list("live_version_id", "latest_id"):
        wanted.update(i for i in (live_id, latest_id) if i is not None)
    found: QuerySet[ChainVersion] = ChainVersion.objects.filter(id__in=wanted).filter(
        id__in=referring
    )
    ordered = found.select_related("chain").order_by("chain__name", "-number")
    return list(ordered)


def _reached(version: ChainVersion, live: bool, breaks: tuple[Breakage, ...]) -> Any:
    return Reached(
        chain=version.chain.name,
        chain_version=version.number,
        live=live,
        url=version.get_absolute_url(),
        breaks=breaks,
    )


def version_breakages(
    document: dict[str, Any], candidate: Resolver, baseline: Resolver
) -> list[Breakage]:
    """Errors a document would have with ``candidate`` and has not with ``baseline``."""
    try:
        graph = catena_graph.load(document)
    except GraphDocumentError:
        return []
    after = validation.check(graph, candidate).problems
    if all(p.severity != "error" for p in after):
        return []
    return breakages(after, validation.check(graph, baseline).problems)


# The chain page -------------------------------------------------------------------
@dataclass(frozen=True)
class Upcoming:
    """A newer version of a model a chain version follows, and what it would break."""

    number: int
    url: str
    trusted: bool
    breaks: tuple[Breakage, ...]


@dataclass(frozen=True)
class Followed:
    """A model a chain version follows by alias, and its newer versions."""

    model: str
    alias: str
    nodes: tuple[str, ...]
    current: int | None
    upcoming: tuple[Upcoming, ...]


def upcoming_versions(*, version: ChainVersion) -> list[Followed]:
    """For each ``model@alias`` the version follows, the model versions past it."""
    refs: dict[tuple[str, str], list[str]] = {}
    rows = version.model_refs.filter(reference__startswith="@").order_by("node_id")
    for row in rows:
        refs.setdefault((row.model_name, row.reference[1:]), []).append(row.node_id)
    return [
        _followed(version, model, alias, nodes)
        for (model, alias), nodes in sorted(refs.items())
    ]


def _followed(
    version: ChainVersion, model: str, alias: str, nodes: list[str]
) -> Followed:
    current = _current_number(model, alias)
    newer = ModelVersion.objects.select_related("model").filter(model__name=model)
    if current is not None:
        newer = newer.filter(number__gt=current)
    newer = newer.order_by("-number")[:UPCOMING_LIMIT]
    baseline = CandidateResolver(model=model, alias=alias)
    upcoming = tuple(_upcoming(version, c, alias, baseline) for c in newer)
    return Followed(model, alias, tuple(nodes), current, upcoming)


def _upcoming(
    version: ChainVersion, candidate: ModelVersion, alias: str, baseline: Resolver
) -> Upcoming:
    resolver = CandidateResolver(
        model=candidate.model.name, alias=alias, number=candidate.number
    )
    breaks = version_breakages(version.document, resolver, baseline)
    return Upcoming(
        number=candidate.number,
        url=candidate.get_absolute_url(),
        trusted=candidate.trusted,
        breaks=tuple(breaks),
    )


def _current_number(model: str, alias: str) -> int | None:
    try:
        return version_by_reference(name=model, reference=f"@{alias}").number
    except (ModelVersion.DoesNotExist, RegisteredModel.DoesNotExist):
        return None


def breaks_of_chain(*, chain: Chain, limit: int = 20) -> list[AliasMoveBreak]:
    """What forced alias moves broke in this chain, newest first."""
    found = AliasMoveBreak.objects.filter(chain=chain.name).select_related(
        "move__model", "move__to_version", "move__from_version", "move__moved_by"
    )
    return list(found[:limit])
