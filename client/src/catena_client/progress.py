"""A progress bar for :meth:`Run.wait`: tqdm's (terminal or notebook) when
installed, else nothing."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Bar:
    """Shows ``done`` of ``total`` nodes; a no-op without tqdm."""

    def __init__(self, tqdm: Any | None) -> None:
        self.tqdm = tqdm

    def show(self, done: int, total: int, status: str) -> None:
        if self.tqdm is None:
            return
        self.tqdm.total = total
        self.tqdm.n = done
        self.tqdm.set_postfix_str(status, refresh=False)
        self.tqdm.refresh()


def tqdm_class() -> Any | None:
    try:
        return importlib.import_module("tqdm.auto").tqdm
    except ImportError:
        return None


@contextmanager
def bar(label: str, *, enabled: bool | None = None) -> Iterator[Bar]:
    """``enabled=None`` shows a bar whenever tqdm is installed."""
    make = tqdm_class() if enabled is not False else None
    if make is None and enabled:
        raise ImportError(
            "A progress bar needs tqdm: pip install 'catena-client[tqdm]'"
        )
    shown = make(desc=label, unit="node", total=0) if make is not None else None
    try:
        yield Bar(shown)
    finally:
        if shown is not None:
            shown.close()
