"""What a run says about its chain steps: the saved chain version each one ran,
and when that version changed since the previous run (``@live`` moved)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catena.chains import SEPARATOR
from catena.problems import Problem
from catena.resolving import ResolvedChain
from runner.models import Run


def chain_notes(
    *,
    chain_version: Any,
    chains: Mapping[str, ResolvedChain],
    problems: list[Problem],
    notes: Mapping[str, str],
) -> dict[str, str]:
    """``notes`` with each chain node's sentence added to its own."""
    if not chains:
        return dict(notes)
    before = _previous(chain_version)
    moved = {p.node: p.message for p in problems if p.code == "chain_live_moved"}
    merged = dict(notes)
    for node, chain in chains.items():
        said = [_ran(chain, before.get(node)), moved.get(node, "")]
        merged[node] = " ".join(s for s in (notes.get(node, ""), *said) if s)
    return merged


def _previous(chain_version: Any) -> dict[str, list[Any]]:
    """The chain versions the previous run of this chain version used."""
    runs = Run.objects.filter(chain_version=chain_version).order_by("-id")
    found = runs.values_list("chains", flat=True).first()
    return dict(found or {})


def _ran(chain: ResolvedChain, before: list[Any] | None) -> str:
    text = f"Ran saved chain {chain.name!r} v{chain.version}."
    if before is not None and int(before[1]) != chain.version:
        text += (
            f" Its version changed since the previous run (v{before[1]}): "
            "the reference (@live or @latest) moved."
        )
    return text


def kept(node: str, keys: dict[str, str]) -> bool:
    """True for a node the run keys, or one inside such a node (an optimize
    what-if part runs its predictor chain's nodes inside it)."""
    while node not in keys and SEPARATOR in node:
        node = node.rpartition(SEPARATOR)[0]
    return node in keys
