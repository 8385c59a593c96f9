"""The exceptions of the core; every one derives from :class:`CatenaError`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from catena.problems import Problem


class CatenaError(Exception):
    """Root of every error the core raises on purpose."""


def _summary(problems: Sequence[Problem]) -> str:
    head = "; ".join(p.message for p in problems[:5])
    more = len(problems) - 5
    return f"{head} (and {more} more)" if more > 0 else head


class GraphDocumentError(CatenaError, ValueError):
    """A graph document is malformed; ``problems`` lists every malformed part."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(_summary(self.problems))


class GraphCycleError(CatenaError, ValueError):
    """The graph has a cycle; ``cycle`` holds its node ids in order."""

    def __init__(self, cycle: Sequence[str]) -> None:
        self.cycle = list(cycle)
        super().__init__("the graph has a cycle: " + " -> ".join(self.cycle))


class ModelNotFoundError(CatenaError, LookupError):
    """A resolver knows no such model, version or alias."""


class ChainNotFoundError(CatenaError, LookupError):
    """A resolver knows no such saved chain or chain version."""


class StepError(CatenaError):
    """A node failed while running; permanent, never retried."""

    def __init__(self, node: str, message: str) -> None:
        self.node = node
        self.message = message
        super().__init__(f"node {node!r}: {message}")


class StepSchemaError(CatenaError):
    """A step cannot compute its output schema; ``problems`` says why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(_summary(self.problems))


class StepTransientError(CatenaError):
    """A node failed for a reason worth retrying (timeout, HTTP 5xx)."""


class ChainInvalidError(CatenaError):
    """A chain cannot run; ``problems`` lists every error found by validation."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(_summary(self.problems))


class RowsError(CatenaError, ValueError):
    """Request rows do not fit a chain's input; ``columns`` maps each bad column
    to what is wrong with it, ``rows`` holds body-shape problems (no column)."""

    def __init__(self, columns: dict[str, str], rows: str = "") -> None:
        self.columns = dict(columns)
        self.rows = rows
        parts = [f"{name} ({why})" for name, why in self.columns.items()]
        head = rows or "the rows do not fit the chain's input"
        super().__init__(f"{head}: {'; '.join(parts)}" if parts else head)


class ProtocolError(CatenaError, ValueError):
    """A request or response does not follow the Open Inference Protocol (V2)."""
