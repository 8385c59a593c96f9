"""Who uses a registered model, told by higher layers without importing them.

``builder`` registers a provider in its ``AppConfig.ready()``::

    from registry.usage import UsageRef, register_usage_provider

    def chains_using(names: list[str]) -> dict[str, list[UsageRef]]: ...
    register_usage_provider(chains_using)

A provider answers for many models at once, so a page of models costs one query
per provider, not one per model.

The registry pages then say "used by N chains" and list the chain versions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from registry.models import RegisteredModel


@dataclass(frozen=True)
class UsageRef:
    """One chain version that refers to a model.

    ``reference`` is the version as written in the chain (``3``, ``"@production"``).
    """

    chain: str
    chain_version: int | None = None
    reference: int | str | None = None
    url: str = ""
    label: str = ""

    @property
    def display(self) -> str:
        if self.label:
            return self.label
        version = f" v{self.chain_version}" if self.chain_version else ""
        return f"{self.chain}{version}"


UsageProvider = Callable[[list[str]], dict[str, list[UsageRef]]]
_providers: list[UsageProvider] = []


def register_usage_provider(fn: UsageProvider) -> UsageProvider:
    """Add a provider once (``ready()`` may run twice); usable as a decorator."""
    if fn not in _providers:
        _providers.append(fn)
    return fn


def usages_for(names: list[str]) -> dict[str, list[UsageRef]]:
    """Every chain version that refers to each model name, from every provider."""
    found: dict[str, list[UsageRef]] = {name: [] for name in names}
    for provider in list(_providers):
        for name, refs in provider(names).items():
            found.setdefault(name, []).extend(refs)
    return found


def usages_of(model: RegisteredModel) -> list[UsageRef]:
    return usages_for([model.name])[model.name]


def chains_using_counts(names: list[str]) -> dict[str, int]:
    """The number of distinct chains that refer to each model name."""
    return {
        name: len({ref.chain for ref in refs})
        for name, refs in usages_for(names).items()
    }
