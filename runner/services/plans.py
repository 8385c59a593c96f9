"""A chain version's checked plan (and which version a chain's name picks), kept
by each process while nothing it was made from has changed.

Every submission of a saved chain version resolves its model and chain
references, validates its graph and expands its chain steps: the same work, to
the same result, until a model, version, alias, endpoint, chain or chain
version changes. The database counts those changes itself (triggers written by
migration ``runner 0011``: every write, a queryset's ``update()`` and a raw
statement included), so a submission reads the count (one small query) and
reuses the plan made at that count; a count that moved makes it anew, so a
moved alias or a new version is still followed by the very next submission.

What depends on the submission itself (its rows, data set, ``until``) is never
kept: only the report and the expansion, which depend on the chain version and
the registry alone. Nothing is kept, nor taken, inside a transaction: there the
connection may see its own writes, which the count shows only once they commit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from django.db import connection

from catena.chains import Expansion, expand
from catena.graph import Graph
from catena.resolving import Resolver
from catena.validation import Report, check, model_refs
from runner import compute, selectors
from runner.statements import rows

GENERATION = "SELECT value FROM runner_resolving_generation WHERE id = 1"
#: Plans kept per process (one per chain version).
KEPT = 128


class Plan:
    """A graph checked against the registry, expanded when first asked."""

    def __init__(self, graph: Graph, report: Report) -> None:
        self.graph, self.report = graph, report
        self._expansion: Expansion | None = None

    def expansion(self) -> Expansion:
        """The graph that runs (its chain steps' saved chains in place); made
        once (two threads that both make it make equal ones)."""
        if self._expansion is None:
            report = self.report
            self._expansion = expand(self.graph, report.resolved, report.chains)
        return self._expansion


def plan_make(graph: Graph, resolver: Resolver, *, chain: str) -> Plan:
    """Resolve (every model version in one query or two) and check ``graph``."""
    if hasattr(resolver, "prefetch"):
        resolver.prefetch(model_refs(graph))
    return Plan(graph, check(graph, resolver, chain=chain))


def chain_version_plan(chain_version: Any) -> Plan:
    """The plan of a saved chain version, kept while the registry's count of
    changes stands still."""
    graph = compute.chain_graph(chain_version.id)
    if connection.in_atomic_block:
        return plan_make(graph, compute.resolver(), chain=chain_version.chain.name)
    count = generation()
    with _lock:
        found = _plans.get(chain_version.id)
        if found is not None and found[0] == count:
            _plans.move_to_end(chain_version.id)
            return found[1]
    # Made from what the database holds now, at ``count`` or later: kept
    # under ``count``, a change after it makes the next submission look again.
    made = plan_make(graph, compute.resolver(), chain=chain_version.chain.name)
    with _lock:
        _plans[chain_version.id] = (count, made)
        _plans.move_to_end(chain_version.id)
        while len(_plans) > KEPT:
            _plans.popitem(last=False)
    return made


def chain_version_pick(*, chain_name: str, number: int | None = None) -> Any:
    """``runner.selectors.chain_version_pick`` (the given version, else the
    live one, else the latest), kept while the count stands still: a new
    version or a moved live one is a write to the chains the count sees."""
    if connection.in_atomic_block:
        return selectors.chain_version_pick(chain_name=chain_name, number=number)
    count, key = generation(), (chain_name, number)
    with _lock:
        found = _picks.get(key)
        if found is not None and found[0] == count:
            _picks.move_to_end(key)
            return found[1]
    picked = selectors.chain_version_pick(chain_name=chain_name, number=number)
    with _lock:
        _picks[key] = (count, picked)
        _picks.move_to_end(key)
        while len(_picks) > KEPT:
            _picks.popitem(last=False)
    return picked


def generation() -> int:
    """How many changes the database has counted to what a plan is made from."""
    return int(rows(GENERATION, [])[0][0])


def forget() -> None:
    """Drop every kept plan (tests: a rollback takes the count and ids back)."""
    with _lock:
        _plans.clear()
        _picks.clear()


_plans: OrderedDict[int, tuple[int, Plan]] = OrderedDict()
#: (chain name, version number or None) -> (count, the chain version picked).
_picks: OrderedDict[tuple[str, int | None], tuple[int, Any]] = OrderedDict()
_lock = threading.Lock()
