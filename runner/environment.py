"""The environment fingerprint: the library versions that can change a node's output.

It goes into every cache key (``catena.keys.node_keys(..., environment=...)``)
and is recorded on every stored output, so that after an upgrade old outputs
are computed again instead of reused, and the run page can say why.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import metadata

#: Distributions whose version can change what a step computes or the file it
#: stores (pyarrow writes the Parquet files).
LIBRARIES = ("numpy", "pandas", "pyarrow", "scikit-learn", "onnxruntime")
#: Recorded per output beside the libraries: ``"<kind> step": "<CODE_VERSION>"``.
STEP_SUFFIX = " step"


@functools.cache
def environment_fingerprint() -> dict[str, str]:
    """Library name -> installed version ("absent" when not installed)."""
    return {name: _version(name) for name in LIBRARIES}


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def output_environment(*, kind: str) -> dict[str, str]:
    """What an output of a ``kind`` node computed here is computed with."""
    from catena import steps

    code = str(steps.get(kind).CODE_VERSION)
    return {**environment_fingerprint(), f"{kind}{STEP_SUFFIX}": code}


def environment_changes(
    *, recorded: Mapping[str, str], now: Mapping[str, str]
) -> list[str]:
    """``"scikit-learn 1.8.0, now 1.9.1"`` for each entry that differs."""
    return [
        f"{name} {recorded.get(name, 'absent')}, now {now.get(name, 'absent')}"
        for name in sorted(set(recorded) | set(now))
        if recorded.get(name, "absent") != now.get(name, "absent")
    ]
