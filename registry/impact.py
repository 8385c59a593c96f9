"""What moving an alias to a candidate version would do to the chains following it.

The registry knows nothing of chains: ``builder`` registers an impact provider
in its ``AppConfig.ready()``. A provider is given the model, the alias and two
resolvers (the registry as it is, and the registry with the alias on the
candidate) and answers one :class:`Reached` per chain version that follows the
alias: each chain's live version first, then each chain's latest version.

A chain version *breaks* when validating it against the candidate finds an
error that validating it as things stand does not: a chain already broken for
another reason is not blamed on the candidate.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from catena.errors import ModelNotFoundError
from catena.problems import CODES, Problem
from catena.resolving import ResolvedChain, ResolvedModel, Resolver
from registry.models import Alias, AliasMove, AliasMoveBreak, ModelVersion
from registry.resolver import RegistryResolver


@dataclass(frozen=True)
class Breakage:
    """One error the candidate would cause in one chain version."""

    code: str
    node: str | None
    message: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def what(self) -> str:
        """A short phrase built from the problem's fields, never its message."""
        return describe(self.code, self.data)


@dataclass(frozen=True)
class Reached:
    """One chain version that follows the alias, and what the candidate breaks."""

    chain: str
    chain_version: int
    live: bool
    url: str = ""
    breaks: tuple[Breakage, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def display(self) -> str:
        return f"{self.chain} v{self.chain_version}"


@dataclass(frozen=True)
class Impact:
    """The chain versions an alias move reaches, live ones first."""

    model: str
    version: int
    alias: str
    current: int | None
    reached: tuple[Reached, ...]

    @property
    def chains(self) -> int:
        return len({r.chain for r in self.reached})

    @property
    def live(self) -> int:
        return sum(1 for r in self.reached if r.live)

    @property
    def broken(self) -> list[Reached]:
        return [r for r in self.reached if r.breaks]

    @property
    def broken_live(self) -> list[Reached]:
        return [r for r in self.reached if r.breaks and r.live]

    @property
    def summary(self) -> str:
        """``reaches 5 chains, 2 live; 1 would break: sales v3, node stack: ...``."""
        head = f"reaches {_count(self.chains, 'chain')}, {self.live} live"
        if not self.broken:
            return f"{head}; none would break"
        details = "; ".join(_breaks_text(r) for r in self.broken)
        return f"{head}; {len(self.broken)} would break: {details}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "alias": self.alias,
            "current": self.current,
            "chains": self.chains,
            "live": self.live,
            "broken": len(self.broken),
            "broken_live": len(self.broken_live),
            "summary": self.summary,
            "reached": [reached_as_dict(r) for r in self.reached],
        }


def reached_as_dict(reached: Reached) -> dict[str, Any]:
    breaks = [{**asdict(b), "what": b.what} for b in reached.breaks]
    return {**asdict(reached), "breaks": breaks}


def alias_move_broke(*, alias: Alias) -> list[dict[str, Any]]:
    """What the move that put ``alias`` where it points broke, per chain version."""
    moves = AliasMove.objects.filter(model_id=alias.model_id, alias=alias.name)
    move = moves.order_by("-moved", "-id").first()
    if move is None:
        return []
    records = move.breaks.order_by("-live", "chain", "-chain_version", "node")
    return [reached_as_dict(r) for r in reached_from_records(records)]


def reached_from_records(records: Iterable[AliasMoveBreak]) -> list[Reached]:
    """The recorded breaks of a move, grouped by chain version."""
    grouped: dict[tuple[str, int, bool], list[Breakage]] = {}
    for r in records:
        breakage = Breakage(r.code, r.node or None, r.message, dict(r.data))
        grouped.setdefault((r.chain, r.chain_version, r.live), []).append(breakage)
    return [
        Reached(chain, number, live, breaks=tuple(breaks))
        for (chain, number, live), breaks in grouped.items()
    ]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _breaks_text(reached: Reached) -> str:
    live = " (live)" if reached.live else ""
    parts = [_break_text(b) for b in reached.breaks]
    return f"{reached.display}{live}, " + ", ".join(parts)


def _break_text(breakage: Breakage) -> str:
    node = f"node {breakage.node}: " if breakage.node else ""
    return node + breakage.what


def _names(values: Any) -> str:
    items = values if isinstance(values, list | tuple) else [values]
    return ", ".join(f"`{v}`" for v in items)


def describe(code: str, data: dict[str, Any]) -> str:
    """What a problem means, from its code and fields (see ``catena.problems``)."""
    if code == "missing_features":
        features = list(data.get("features") or [])
        noun = "feature" if len(features) == 1 else "features"
        return f"missing {noun} {_names(features)}"
    if code == "dtype_mismatch":
        return (
            f"feature {_names(data.get('feature'))} needs {data.get('expected')}, "
            f"gets {data.get('actual')}"
        )
    if code == "feature_count":
        return f"takes {data.get('expected')} columns, gets {data.get('got')}"
    if code == "unknown_method":
        return f"no method {_names(data.get('method'))}"
    if code == "untrusted_model":
        return f"{data.get('model')} v{data.get('version')} is not trusted"
    if code == "missing_columns":
        return f"missing columns {_names(list(data.get('columns') or []))}"
    return CODES.get(code, code)


# Resolving with the candidate -------------------------------------------------
class CandidateResolver:
    """The registry's resolver, with ``model@alias`` on ``number`` when given.

    Answers are kept for the resolver's life: an impact validates hundreds of
    chain versions that mostly name the same few models.
    """

    def __init__(
        self,
        *,
        model: str,
        alias: str,
        number: int | None = None,
        base: Resolver | None = None,
    ) -> None:
        self.model, self.alias, self.number = model, alias, number
        self.base = base or RegistryResolver()
        self._seen: dict[tuple[str, int | str], ResolvedModel | Exception] = {}

    def resolve_chain(self, name: str, version: int | str) -> ResolvedChain:
        """Saved chains as the base resolver has them."""
        return self.base.resolve_chain(name, version)

    def resolve(self, name: str, version: int | str) -> ResolvedModel:
        key = (name, version)
        if self.number is not None and name == self.model and self._follows(version):
            key = (name, self.number)
        if key not in self._seen:
            try:
                self._seen[key] = self.base.resolve(*key)
            except ModelNotFoundError as exc:
                self._seen[key] = exc
        found = self._seen[key]
        if isinstance(found, Exception):
            raise found
        return found

    def _follows(self, version: int | str) -> bool:
        return isinstance(version, str) and version.lstrip("@") == self.alias


def breakages(after: Iterable[Problem], before: Iterable[Problem]) -> list[Breakage]:
    """The errors in ``after`` that ``before`` does not have."""
    known = {_identity(p) for p in before if p.severity == "error"}
    return [
        Breakage(code=p.code, node=p.node, message=p.message, data=dict(p.data))
        for p in after
        if p.severity == "error" and _identity(p) not in known
    ]


def _identity(problem: Problem) -> tuple[str, str | None, Any, str]:
    data = json.dumps(dict(problem.data), sort_keys=True, default=str)
    return (problem.code, problem.node, problem.edge, data)


# Providers ----------------------------------------------------------------------
class ImpactProvider(Protocol):
    def __call__(
        self, *, model: str, alias: str, candidate: Resolver, baseline: Resolver
    ) -> list[Reached]: ...


_providers: list[ImpactProvider] = []


def register_impact_provider(fn: ImpactProvider) -> ImpactProvider:
    """Add a provider once (``ready()`` may run twice); usable as a decorator."""
    if fn not in _providers:
        _providers.append(fn)
    return fn


def impact_of(*, version: ModelVersion, alias: str) -> Impact:
    """What pointing ``alias`` at ``version`` would reach and break."""
    name = version.model.name
    candidate = CandidateResolver(model=name, alias=alias, number=version.number)
    baseline = CandidateResolver(model=name, alias=alias)
    reached: list[Reached] = []
    for provider in list(_providers):
        reached += provider(
            model=name, alias=alias, candidate=candidate, baseline=baseline
        )
    reached.sort(key=lambda r: not r.live)
    return Impact(
        model=name,
        version=version.number,
        alias=alias,
        current=_current(version, alias),
        reached=tuple(reached),
    )


def _current(version: ModelVersion, alias: str) -> int | None:
    if alias == "latest":
        latest = version.model.versions.order_by("-number").first()
        return latest.number if latest else None
    found = Alias.objects.filter(model=version.model, name=alias)
    return found.values_list("version__number", flat=True).first()
