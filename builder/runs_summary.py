"""Last-run status of chains, supplied by a higher layer (the runner).

builder must not import runner, so the runner registers a provider here in its
``AppConfig.ready()``: ``fn(chain_ids) -> {chain_id: {"status": ..., "url": ...}}``.
Without a provider the chain list shows no run status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

RunSummary = dict[str, str]
Provider = Callable[[list[int]], dict[int, RunSummary]]

_providers: list[Provider] = []


def register_provider(fn: Provider) -> Provider:
    """Register ``fn``; registering the same function twice keeps one."""
    if fn not in _providers:
        _providers.append(fn)
    return fn


def unregister_provider(fn: Provider) -> None:
    if fn in _providers:
        _providers.remove(fn)


def runs_summary(chain_ids: Iterable[int]) -> dict[int, RunSummary]:
    """Return the last run of each chain that has one, merged over providers."""
    ids = list(chain_ids)
    summary: dict[int, RunSummary] = {}
    for provider in _providers:
        summary.update(provider(ids))
    return summary
