"""The registry as the core's resolver, with a per-process cache of loaded models.

Resolving reads only the database: the signature, sha256, trust and warnings
come from the version's row, so validating a chain never opens a model file.
The file is loaded when the loader is called (a chain runs), once per process
and sha256, through a bounded LRU cache.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

from catena.errors import CatenaError, ChainNotFoundError, ModelNotFoundError
from catena.resolving import ResolvedChain, ResolvedModel, Signature
from catena.schema import schema_from_json
from registry import formats, selectors
from registry.models import ModelVersion, RegisteredModel

log = logging.getLogger("catena.registry")


class ModelCache:
    """A thread-safe LRU of loaded model adapters keyed by sha256."""

    def __init__(self, size: int | None = None) -> None:
        self._size = size
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def size(self) -> int:
        configured = self._size
        if configured is None:
            configured = int(getattr(settings, "CATENA_MODEL_CACHE_SIZE", 32))
        return max(configured, 0)

    def get_or_load(self, key: str, load: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        # Loading happens outside the lock: two threads may load one model at
        # once, and the second result simply replaces the first.
        value = load()
        with self._lock:
            self.misses += 1
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)


model_cache = ModelCache()


def signature_of(version: ModelVersion) -> Signature:
    """The version's signature as the core's type, from its database row."""
    data = version.signature or {}
    outputs = {m: schema_from_json(s) for m, s in data.get("outputs", {}).items()}
    return Signature(schema_from_json(data.get("inputs", [])), outputs)


def load_version(version: ModelVersion) -> Any:
    """Read, verify and load a version's file into an adapter (no cache)."""
    if version.format == ModelVersion.Format.REMOTE:
        from registry.endpoint_runtime import adapter_for

        return adapter_for(version)
    if not version.trusted:
        raise CatenaError(
            f"{version} is not trusted; a staff user must trust it before it runs",
        )
    with version.file.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != version.sha256:
        raise CatenaError(f"the stored file of {version} changed since upload")
    obj, _ = formats.load_object(
        data,
        version.format,
        trusted_types=list(version.untrusted_types),
        trusted=version.trusted,
    )
    return formats.adapter_for(obj, version.format)


def _loader(version: ModelVersion, cache: ModelCache) -> Callable[[], Any]:
    def load() -> Any:
        # Two endpoint versions may share a sha256 (same URL, protocol and
        # signature) yet differ in timeout, batching or secret.
        key = version.sha256
        if version.format == ModelVersion.Format.REMOTE:
            key = f"remote:{version.pk}"
        return cache.get_or_load(key, lambda: _load_logged(version))

    return load


class _Loading(threading.local):
    seconds = 0.0


_loading = _Loading()


def loading_seconds() -> float:
    """Seconds this thread has spent loading model files so far (a caller
    timing work that may load one takes the difference)."""
    return _loading.seconds


def _load_logged(version: ModelVersion) -> Any:
    # One line per load: a process that keeps loading models shows in its log.
    start = time.perf_counter()
    try:
        adapter = load_version(version)
    finally:
        spent = time.perf_counter() - start
        _loading.seconds += spent
    log.info("model %s loaded into the cache in %.0f ms", version, spent * 1000)
    return adapter


class RegistryResolver:
    """Implements ``catena.resolving.Resolver`` on the database."""

    def __init__(self, cache: ModelCache | None = None) -> None:
        self.cache = cache if cache is not None else model_cache
        # Versions read ahead by ``prefetch``, by (name, reference): this
        # resolver's lifetime only (one submission), so never stale.
        self._read: dict[tuple[str, int | str], ModelVersion] = {}

    def prefetch(self, refs: Iterable[tuple[str, int | str]]) -> None:
        """Read the versions ``refs`` name in one query (two with aliases), so
        resolving them next costs none; a reference not found is left to
        ``resolve``, which says why."""
        wanted = set()
        for name, version in refs:
            try:
                wanted.add((name, _reference(version)))
            except ModelNotFoundError:
                continue
        self._read.update(selectors.versions_by_references(wanted))

    def resolve(self, name: str, version: int | str) -> ResolvedModel:
        found = self._read.get((name, _reference(version))) or self._version(
            name, version
        )
        return ResolvedModel(
            name=name,
            version=found.number,
            sha256=found.sha256,
            signature=signature_of(found),
            loader=_loader(found, self.cache),
            trusted=found.trusted,
            warnings=tuple(selectors.version_warnings(version=found)),
            trained_on=tuple(
                (str(t["model"]), int(t["version"])) for t in found.trained_on
            ),
            out_of_fold=found.out_of_fold,
        )

    def resolve_chain(self, name: str, version: int | str) -> ResolvedChain:
        """The registry knows no chains; ``builder.resolver.ChainResolver`` does."""
        raise ChainNotFoundError(f"no chain named {name!r} (only models resolve here)")

    def _version(self, name: str, version: int | str) -> ModelVersion:
        reference = _reference(version)
        try:
            return selectors.version_by_reference(name=name, reference=reference)
        except RegisteredModel.DoesNotExist:
            raise ModelNotFoundError(f"no model named {name!r}") from None
        except ModelVersion.DoesNotExist:
            what = "alias" if isinstance(reference, str) else "version"
            raise ModelNotFoundError(
                f"model {name!r} has no {what} {version!r}"
            ) from None


def _reference(version: int | str) -> int | str:
    if isinstance(version, bool):
        raise ModelNotFoundError(f"not a model version: {version!r}")
    if isinstance(version, int):
        return version
    text = str(version).strip()
    if text.startswith("@"):
        return text
    if text.isdigit():
        return int(text)
    return f"@{text}"
