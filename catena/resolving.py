"""Model and chain references resolved to exact versions, and the resolver protocol.

A model node names a registered model and a version: a number, ``"@latest"`` or
an alias such as ``"@production"``. A :class:`Resolver` (the registry supplies
one) turns that into a :class:`ResolvedModel` carrying the exact version, its
sha256, its :class:`Signature` and a loader for the model itself.

A chain node names a saved chain and a version: a number, ``"@live"`` or
``"@latest"``. :meth:`Resolver.resolve_chain` (the builder supplies it) turns
that into a :class:`ResolvedChain`: the exact version and its loaded graph.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from catena.errors import ChainNotFoundError, ModelNotFoundError
from catena.schema import Schema

if TYPE_CHECKING:
    from catena.adapters import LoadedModel
    from catena.graph import Graph

METHODS: tuple[str, ...] = (
    "predict",
    "predict_proba",
    "transform",
    "decision_function",
)


@dataclass(frozen=True, slots=True)
class Signature:
    """What a model takes and what each of its methods returns.

    Parameters
    ----------
    inputs : Schema
        The features, in the order the model expects them.
    outputs : Mapping of str to Schema
        The output columns of each method the model offers.

    Examples
    --------
    >>> from catena.schema import Column
    >>> sig = Signature((Column("x", "float"),), {"predict": (Column("y", "float"),)})
    >>> sig.methods
    ('predict',)
    """

    inputs: Schema
    outputs: Mapping[str, Schema] = field(hash=False)

    @property
    def methods(self) -> tuple[str, ...]:
        """The names of the methods the model offers."""
        return tuple(self.outputs)


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    """One exact model version, ready to load.

    Parameters
    ----------
    name : str
        The registered model's name (slug).
    version : int
        The exact version number the reference resolved to.
    sha256 : str
        The hash of the stored model file; part of every cache key.
    signature : Signature
        Inputs and per-method outputs.
    loader : callable
        Returns the loaded model adapter; may cache.
    trusted : bool
        False for pickles nobody has marked trusted; such a model never runs.
    warnings : tuple of str
        Compatibility warnings (e.g. library version differences).
    trained_on : tuple of (str, int)
        For a stacker: the ``(model, version)`` whose outputs were its features.
    out_of_fold : bool or None
        Whether those features were out-of-fold predictions (None: unknown).
    """

    name: str
    version: int
    sha256: str
    signature: Signature
    loader: Callable[[], LoadedModel] = field(compare=False, repr=False)
    trusted: bool = True
    warnings: tuple[str, ...] = ()
    trained_on: tuple[tuple[str, int], ...] = ()
    out_of_fold: bool | None = None

    def load(self) -> LoadedModel:
        """Return the loaded model adapter (what ``loader`` returns)."""
        return self.loader()

    @property
    def ref(self) -> tuple[str, int, str]:
        """``(name, version, sha256)``, as recorded in a run."""
        return (self.name, self.version, self.sha256)


@dataclass(frozen=True, slots=True)
class ResolvedChain:
    """One exact saved chain version, loaded.

    Parameters
    ----------
    name : str
        The chain's name (slug).
    version : int
        The exact version number the reference resolved to.
    hash : str
        The canonical hash of the version's document.
    graph : Graph
        The version's loaded graph (saved versions never change, so a
        resolver may keep one per version).
    live : int or None
        The version ``@live`` names now, if any (for "@live moved" notices).
    """

    name: str
    version: int
    hash: str
    graph: Graph = field(compare=False, repr=False)
    live: int | None = None

    @property
    def ref(self) -> tuple[str, int, str]:
        """``(name, version, hash)``, as recorded in a run."""
        return (self.name, self.version, self.hash)


class Resolver(Protocol):
    """Turns model and chain references into exact versions."""

    def resolve(self, name: str, version: int | str) -> ResolvedModel:
        """Resolve ``name`` at ``version`` (a number, ``"@latest"`` or ``"@alias"``).

        Raises
        ------
        ModelNotFoundError
            When the model, version or alias does not exist.
        """
        ...

    def resolve_chain(self, name: str, version: int | str) -> ResolvedChain:
        """Resolve chain ``name`` at ``version`` (a number, ``"@live"``, ``"@latest"``).

        Raises
        ------
        ChainNotFoundError
            When the chain or version does not exist (or the resolver knows
            no chains at all).
        """
        ...


class DictResolver:
    """A resolver over models held in memory, for tests and benchmarks.

    Parameters
    ----------
    models : Mapping of str to Sequence of ResolvedModel
        The versions of each model name.
    aliases : Mapping of str to Mapping of str to int, optional
        Alias name (without ``@``) to version number, per model name.
    chains : Mapping of str to Sequence of ResolvedChain, optional
        The versions of each saved chain; ``@live`` is each one's ``live``.

    Examples
    --------
    >>> DictResolver({}).resolve("nope", 1)
    Traceback (most recent call last):
    ...
    catena.errors.ModelNotFoundError: no model named 'nope'
    """

    def __init__(
        self,
        models: Mapping[str, Sequence[ResolvedModel]],
        aliases: Mapping[str, Mapping[str, int]] | None = None,
        chains: Mapping[str, Sequence[ResolvedChain]] | None = None,
    ) -> None:
        self.models = {k: {m.version: m for m in v} for k, v in models.items()}
        self.aliases = aliases or {}
        self.chains = {k: {c.version: c for c in v} for k, v in (chains or {}).items()}

    def resolve_chain(self, name: str, version: int | str) -> ResolvedChain:
        """Resolve a chain reference; see :meth:`Resolver.resolve_chain`."""
        versions = self.chains.get(name)
        if not versions:
            raise ChainNotFoundError(f"no chain named {name!r}")
        number: int | str | None = version
        if version == "@latest":
            number = max(versions)
        elif version == "@live":
            number = next(iter(versions.values())).live
        if number not in versions:
            raise ChainNotFoundError(f"chain {name!r} has no version {version}")
        return versions[number]

    def resolve(self, name: str, version: int | str) -> ResolvedModel:
        """Resolve a reference; see :meth:`Resolver.resolve`."""
        versions = self.models.get(name)
        if not versions:
            raise ModelNotFoundError(f"no model named {name!r}")
        number = self._number(name, version, versions)
        if number not in versions:
            raise ModelNotFoundError(f"model {name!r} has no version {version!r}")
        return versions[number]

    def _number(
        self, name: str, version: int | str, versions: Mapping[int, ResolvedModel]
    ) -> int | str:
        if version == "@latest":
            return max(versions)
        if isinstance(version, str) and version.startswith("@"):
            alias = self.aliases.get(name, {}).get(version[1:])
            if alias is None:
                raise ModelNotFoundError(f"model {name!r} has no alias {version!r}")
            return alias
        return version
