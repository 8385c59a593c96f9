"""Model references resolved to exact versions, and the resolver protocol.

A model node names a registered model and a version: a number, ``"@latest"`` or
an alias such as ``"@production"``. A :class:`Resolver` (the registry supplies
one) turns that into a :class:`ResolvedModel` carrying the exact version, its
sha256, its :class:`Signature` and a loader for the model itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from catena.errors import ModelNotFoundError
from catena.schema import Schema

if TYPE_CHECKING:
    from catena.adapters import LoadedModel

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
    """

    name: str
    version: int
    sha256: str
    signature: Signature
    loader: Callable[[], LoadedModel] = field(compare=False, repr=False)
    trusted: bool = True
    warnings: tuple[str, ...] = ()

    def load(self) -> LoadedModel:
        """Return the loaded model adapter (what ``loader`` returns)."""
        return self.loader()

    @property
    def ref(self) -> tuple[str, int, str]:
        """``(name, version, sha256)``, as recorded in a run."""
        return (self.name, self.version, self.sha256)


class Resolver(Protocol):
    """Turns a model reference into an exact :class:`ResolvedModel`."""

    def resolve(self, name: str, version: int | str) -> ResolvedModel:
        """Resolve ``name`` at ``version`` (a number, ``"@latest"`` or ``"@alias"``).

        Raises
        ------
        ModelNotFoundError
            When the model, version or alias does not exist.
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
    ) -> None:
        self.models = {k: {m.version: m for m in v} for k, v in models.items()}
        self.aliases = aliases or {}

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
