"""Who uses a registered model, told by higher layers without importing them.

``builder`` registers a provider in its ``AppConfig.ready()``::

    from registry.usage import UsageRef, register_usage_provider

    def chains_using(model) -> list[UsageRef]: ...
    register_usage_provider(chains_using)

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


UsageProvider = Callable[["RegisteredModel"], list[UsageRef]]
_providers: list[UsageProvider] = []


def register_usage_provider(fn: UsageProvider) -> UsageProvider:
    """Add a provider once (``ready()`` may run twice); usable as a decorator."""
    if fn not in _providers:
        _providers.append(fn)
    return fn


def usages_of(model: RegisteredModel) -> list[UsageRef]:
    """Every chain version that refers to ``model``, from every provider."""
    found: list[UsageRef] = []
    for provider in list(_providers):
        found.extend(provider(model))
    return found


def chains_using_count(model: RegisteredModel) -> int:
    """The number of distinct chains that refer to ``model``."""
    return len({ref.chain for ref in usages_of(model)})
