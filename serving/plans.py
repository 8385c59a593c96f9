"""Prepared chains kept per process, each checked for staleness on every request.

A plan is a chain version validated, resolved and loaded once
(:func:`catena.serving.prepare`). Its *stamp* is what could make it stale
without touching the chain version itself: where the aliases of its models
point, and which is the latest version of a model referenced as ``@latest``.
Each request reads the live version number and the stamp (two or three small
queries) and prepares the plan again only when either moved, so an alias move
or a new live version is picked up by the next request.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Max

from builder.models import Chain, ChainVersion
from builder.resolver import ChainResolver
from catena.errors import CatenaError, ChainInvalidError
from catena.graph import load
from catena.serving import Prepared, prepare
from config.exceptions import CatenaAppError
from registry.models import Alias, ModelVersion

log = logging.getLogger("catena.serving")

Stamp = tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Plan:
    """One prepared chain version and the stamp it was prepared under."""

    chain: str
    number: int
    prepared: Prepared
    stamp: Stamp
    aliased: frozenset[str]
    latest: frozenset[str]


class PlanCache:
    """A thread-safe LRU of plans keyed by ``(chain, version number)``."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[str, int], Plan] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int]) -> Plan | None:
        with self._lock:
            plan = self._items.get(key)
            if plan is not None:
                self._items.move_to_end(key)
            return plan

    def put(self, plan: Plan) -> None:
        with self._lock:
            self._items[(plan.chain, plan.number)] = plan
            self._items.move_to_end((plan.chain, plan.number))
            while len(self._items) > max(int(settings.CATENA_SERVE_PLANS), 1):
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


plans = PlanCache()


def live_number(*, chain_name: str) -> int:
    """The live version's number of a chain; a 404 when none is live."""
    found = list(
        Chain.objects.filter(name=chain_name).values_list("live_version__number")[:1]
    )
    if not found:
        raise CatenaAppError(
            f"No chain named '{chain_name}'.", {"chain": chain_name}, status=404
        )
    number = found[0][0]
    if number is None:
        raise CatenaAppError(
            f"Chain '{chain_name}' has no live version; mark one live "
            f"(POST /api/chains/{chain_name}/live) or predict with a version "
            f"(/api/chains/{chain_name}/versions/<n>/predict).",
            {"chain": chain_name, "live": None},
            status=404,
        )
    return int(number)


def plan_get(*, chain_name: str, number: int | None = None) -> Plan:
    """The plan for a chain's live version (``number`` None) or version ``number``."""
    return plan_fetch(chain_name=chain_name, number=number)[0]


def plan_fetch(*, chain_name: str, number: int | None = None) -> tuple[Plan, bool]:
    """The plan, and whether it was prepared by this call (cold) or kept (warm)."""
    if number is None:
        number = live_number(chain_name=chain_name)
    plan = plans.get((chain_name, number))
    if plan is not None and _stamp(plan.aliased, plan.latest) == plan.stamp:
        return plan, False
    plan = plan_build(chain_name=chain_name, number=number)
    plans.put(plan)
    return plan, True


def plan_build(*, chain_name: str, number: int) -> Plan:
    """Prepare a chain version now (loads its models); raises a 4xx when it cannot."""
    version = (
        ChainVersion.objects.filter(chain__name=chain_name, number=number)
        .only("document")
        .first()
    )
    if version is None:
        raise CatenaAppError(
            f"Chain '{chain_name}' has no version {number}.",
            {"chain": chain_name, "version": number},
            status=404,
        )
    graph = load(version.document)
    aliased, latest = _references(graph.nodes.values())
    # The stamp is read before resolving: a move in between makes the next
    # request prepare again rather than keep a plan older than its stamp.
    stamp = _stamp(aliased, latest)
    try:
        prepared = prepare(graph, ChainResolver())
    except ChainInvalidError as exc:
        raise CatenaAppError(
            f"Chain '{chain_name}' version {number} cannot run now: {exc}",
            {"problems": [p.as_dict() for p in exc.problems]},
            status=409,
        ) from None
    except CatenaError as exc:
        raise CatenaAppError(
            f"Chain '{chain_name}' version {number} cannot run now: {exc}",
            {"chain": chain_name, "version": number},
            status=409,
        ) from None
    except Exception as exc:
        # A stored model file that cannot be read or loaded (storage down, file
        # gone): the caller learns which chain, the log gets the details.
        log.exception("serving: preparing %s v%d failed", chain_name, number)
        raise CatenaAppError(
            f"Chain '{chain_name}' version {number} cannot run now: a model could "
            f"not be loaded ({type(exc).__name__}).",
            {"chain": chain_name, "version": number},
            status=409,
        ) from None
    return Plan(chain_name, number, prepared, stamp, aliased, latest)


def _references(nodes: Any) -> tuple[frozenset[str], frozenset[str]]:
    aliased, latest = set(), set()
    for node in nodes:
        if node.kind != "model":
            continue
        reference = str(node.raw.get("version", ""))
        name = str(node.raw.get("model", ""))
        if reference == "@latest":
            latest.add(name)
        elif not reference.isdigit():
            aliased.add(name)
    return frozenset(aliased), frozenset(latest)


def _stamp(aliased: frozenset[str], latest: frozenset[str]) -> Stamp:
    parts: list[tuple[Any, ...]] = []
    if aliased:
        rows = Alias.objects.filter(model__name__in=aliased).values_list(
            "model__name", "name", "version_id"
        )
        parts.append(tuple(sorted(rows)))
    if latest:
        newest = (
            ModelVersion.objects.filter(model__name__in=latest)
            .values("model__name")
            .annotate(top=Max("number"))
            .values_list("model__name", "top")
        )
        parts.append(tuple(sorted(newest)))
    return tuple(parts)
