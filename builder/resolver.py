"""The registry's resolver that also resolves saved chains (for chain steps).

The registry knows nothing of chains, so the builder adds ``resolve_chain``.
Saved versions never change: each one's graph is loaded once per process.
"""

from __future__ import annotations

import functools

from builder.models import Chain, ChainVersion
from catena.errors import ChainNotFoundError
from catena.graph import Graph, load
from catena.resolving import ResolvedChain
from registry.resolver import RegistryResolver

#: The largest version number the database holds (a PositiveIntegerField).
MAX_NUMBER = 2**31 - 1


@functools.lru_cache(maxsize=256)
def version_graph(version_id: int, digest: str) -> Graph:
    """The loaded graph of a chain version, by id and hash (kept: versions never
    change; the hash too, so a test database reusing ids gets no stale graph)."""
    document = ChainVersion.objects.values_list("document", flat=True).get(
        id=version_id
    )
    return load(document)


class ChainResolver(RegistryResolver):
    """Implements ``catena.resolving.Resolver``: models and saved chains."""

    def resolve_chain(self, name: str, version: int | str) -> ResolvedChain:
        chain = Chain.objects.filter(name=name).first()
        if chain is None:
            raise ChainNotFoundError(f"no chain named {name!r}")
        found = version_of(chain, version)
        if found is None:
            raise ChainNotFoundError(_missing(name, version))
        return ResolvedChain(
            name=name,
            version=found.number,
            hash=found.hash,
            graph=version_graph(found.id, found.hash),
            live=_live(chain),
        )


def version_of(chain: Chain, version: int | str) -> ChainVersion | None:
    """The version of ``chain`` a reference (number, ``@live``, ``@latest``) names."""
    versions = ChainVersion.objects.filter(chain=chain).only("id", "number", "hash")
    if version == "@latest":
        return versions.order_by("-number").first()
    if version == "@live":
        live = chain.live_version_id
        return versions.filter(id=live).first() if live is not None else None
    # Beyond the column's range a number names no version (and must not reach
    # the database, which would overflow).
    if isinstance(version, int) and not isinstance(version, bool):
        in_range = 1 <= version <= MAX_NUMBER
        return versions.filter(number=version).first() if in_range else None
    return None


def _live(chain: Chain) -> int | None:
    if chain.live_version_id is None:
        return None
    live = ChainVersion.objects.filter(id=chain.live_version_id)
    return live.values_list("number", flat=True).first()


def _missing(name: str, version: int | str) -> str:
    if version == "@live":
        return f"chain {name!r} has no live version (mark one live first)"
    if version == "@latest":
        return f"chain {name!r} has no saved version"
    return f"chain {name!r} has no version {version}"
