"""A/B variants of a served chain: the split's shape, its checks, and the pick.

A split is a list of ``{"version": n, "weight": percent}`` whose weights are
whole percents summing to 100. With a key column, the pick hashes the chain
name and the key's value in the request's first row, so the same key always
gets the same variant while the weights stay the same; without one (or when a
request lacks the key) the pick is random by weight.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from typing import Any

from config.exceptions import CatenaAppError

MAX_SPLIT = 8
MAX_SHADOWS = 4
MAX_KEY_LENGTH = 80
#: The label of the answer when no split is set: the live version answered.
LIVE = "live"

rng = random.Random()


@dataclass(frozen=True)
class Variants:
    """A chain's checked variants (empty split: the live version answers)."""

    split: tuple[tuple[int, int], ...] = ()
    shadows: tuple[int, ...] = ()
    key: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "split": [{"version": v, "weight": w} for v, w in self.split],
            "shadows": list(self.shadows),
            "key": self.key,
        }


def label(version: int) -> str:
    return f"v{version}"


def variants_load(data: Any) -> Variants:
    """Stored (already checked) variants back into a ``Variants``."""
    if not data:
        return Variants()
    return Variants(
        split=tuple((int(s["version"]), int(s["weight"])) for s in data["split"]),
        shadows=tuple(int(v) for v in data["shadows"]),
        key=str(data["key"]),
    )


def variants_clean(*, data: Any, versions: set[int], live: int | None) -> Variants:
    """Check a variants document against the chain's version numbers; a 400
    naming the field otherwise."""
    if not isinstance(data, dict) or set(data) - {"split", "shadows", "key"}:
        _refuse("variants", 'An object with "split", "shadows" and "key".')
    split = _split_clean(data.get("split", []), versions)
    shadows = _shadows_clean(data.get("shadows", []), versions)
    key = data.get("key", "")
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or "\x00" in key:
        _refuse("key", f"A column name of at most {MAX_KEY_LENGTH} characters.")
    served = {v for v, _ in split} or ({live} if live else set())
    if clash := sorted(served & set(shadows)):
        _refuse("shadows", f"Version {clash[0]} already answers; it cannot shadow.")
    return Variants(split=split, shadows=shadows, key=key)


def _split_clean(split: Any, versions: set[int]) -> tuple[tuple[int, int], ...]:
    if not isinstance(split, list) or len(split) > MAX_SPLIT:
        _refuse("split", f"A list of at most {MAX_SPLIT} {{version, weight}} objects.")
    pairs = []
    for item in split:
        if not isinstance(item, dict) or set(item) != {"version", "weight"}:
            _refuse("split", 'Each item is {"version": n, "weight": percent}.')
        version = _version(item["version"], versions, "split")
        weight = item["weight"]
        if not _whole(weight) or not 1 <= weight <= 100:
            _refuse("split", f"Weight of v{version}: a whole percent from 1 to 100.")
        pairs.append((version, int(weight)))
    if len({v for v, _ in pairs}) != len(pairs):
        _refuse("split", "Each version appears once.")
    if pairs and sum(w for _, w in pairs) != 100:
        total = sum(w for _, w in pairs)
        _refuse("split", f"The weights are percents summing to 100, not {total}.")
    return tuple(pairs)


def _shadows_clean(shadows: Any, versions: set[int]) -> tuple[int, ...]:
    if not isinstance(shadows, list) or len(shadows) > MAX_SHADOWS:
        _refuse("shadows", f"A list of at most {MAX_SHADOWS} version numbers.")
    numbers = tuple(_version(v, versions, "shadows") for v in shadows)
    if len(set(numbers)) != len(numbers):
        _refuse("shadows", "Each version appears once.")
    return numbers


def _version(value: Any, versions: set[int], field: str) -> int:
    if not _whole(value):
        _refuse(field, "A version is a whole number.")
    if int(value) not in versions:
        _refuse(field, f"No version {int(value)} of this chain.")
    return int(value)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _refuse(field: str, message: str) -> None:
    raise CatenaAppError(f"{field}: {message}", {"fields": {field: [message]}})


def variant_pick(*, chain: str, variants: Variants, body: dict[str, Any]) -> int:
    """The version that answers this request, by weight (sticky by key)."""
    point = _key_point(chain, variants.key, body) if variants.key else None
    if point is None:
        point = rng.randrange(100)
    for version, weight in variants.split:
        if point < weight:
            return version
        point -= weight
    return variants.split[-1][0]


def _key_point(chain: str, key: str, body: dict[str, Any]) -> int | None:
    value = key_value(key=key, body=body)
    if value is None:
        return None
    text = json.dumps([chain, value], sort_keys=True, default=str)
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) % 100


def key_value(*, key: str, body: dict[str, Any]) -> Any:
    """The key column's value in the request's first row (None when absent)."""
    rows, columns = body.get("rows"), body.get("columns")
    if isinstance(rows, list) and rows and isinstance(rows[0], dict):
        return rows[0].get(key)
    if isinstance(columns, dict) and isinstance(columns.get(key), list):
        values = columns[key]
        return values[0] if values else None
    return None
