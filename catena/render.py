"""Problem messages: templates rendered with a problem's data, lists shown plainly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class _Shown:
    """A template value: lists render comma-separated (``!r`` quotes each item)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __str__(self) -> str:
        if isinstance(self.value, list | tuple):
            return ", ".join(str(v) for v in self.value)
        return str(self.value)

    def __repr__(self) -> str:
        if isinstance(self.value, list | tuple):
            return ", ".join(repr(v) for v in self.value)
        return repr(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


class _Defaulted(dict[str, Any]):
    def __missing__(self, key: str) -> _Shown:
        return _Shown("?")


def render(template: str, values: Mapping[str, Any]) -> str:
    """Render a message template; an unknown placeholder shows as ``?``.

    Examples
    --------
    >>> render("missing: {features!r}", {"features": ["a", "b"]})
    "missing: 'a', 'b'"
    """
    shown = _Defaulted({k: _Shown(v) for k, v in values.items()})
    return template.format_map(shown)
