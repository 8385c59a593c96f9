"""The client's exceptions: one root, each carrying the server's data.

Every 4xx answer becomes a :class:`CatenaAPIError` (or a subclass by status)
holding the server's ``message`` and ``extra`` exactly as sent. A chain refused
for graph problems raises :class:`ChainInvalid`, listing every problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class CatenaError(Exception):
    """The root of every exception this package raises."""


class CatenaConnectionError(CatenaError):
    """The server could not be reached (after the retries allowed)."""


class CatenaAPIError(CatenaError):
    """The server answered with an error status.

    Attributes
    ----------
    status : int
        The HTTP status, e.g. 400.
    message : str
        The server's sentence for people.
    extra : dict
        The server's data about the error (``extra`` of the JSON body).
    """

    def __init__(self, status: int, message: str, extra: dict[str, Any]) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.extra = extra


class BadRequest(CatenaAPIError):
    """400: the request does not fit (``extra`` says which field or limit)."""


class Unauthorized(CatenaAPIError):
    """401: no token, or a token that is wrong or revoked."""


class Forbidden(CatenaAPIError):
    """403: the token's user may not do this."""


class NotFound(CatenaAPIError):
    """404: no such model, chain, run or node output."""


class Conflict(CatenaAPIError):
    """409: e.g. a name already taken, or an alias move that breaks a live chain."""


class Unprocessable(CatenaAPIError):
    """422: e.g. a node failed on the rows sent to predict."""


class TooLarge(CatenaAPIError):
    """413: the body is beyond the server's limit (``extra`` names it)."""


class RateLimited(CatenaAPIError):
    """429: still throttled after every retry."""


class ServerError(CatenaAPIError):
    """5xx: the server failed (503 only after every retry)."""


class RunFailed(CatenaError):
    """A run ended failed or cancelled; ``run`` is the run, ``error`` its reason."""

    def __init__(self, run: Any, error: str) -> None:
        super().__init__(f"run {run.id} {run.status}: {error}")
        self.run = run
        self.error = error


@dataclass(frozen=True)
class Problem:
    """One graph problem, as the server reports it (read ``code`` and ``data``)."""

    code: str
    message: str
    node: str | None = None
    edge: tuple[str, str] | None = None
    severity: str = "error"
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Problem:
        edge = raw.get("edge")
        return cls(
            code=str(raw.get("code", "")),
            message=str(raw.get("message", "")),
            node=raw.get("node"),
            edge=(str(edge[0]), str(edge[1])) if edge else None,
            severity=str(raw.get("severity", "error")),
            data=dict(raw.get("data") or {}),
        )

    def __str__(self) -> str:
        where = f"node {self.node}" if self.node else ""
        if self.edge:
            where = f"edge {self.edge[0]} -> {self.edge[1]}"
        named = self.node is None or repr(self.node) in self.message
        return self.message if named and not self.edge else f"{where}: {self.message}"


class ChainInvalid(BadRequest):
    """A chain document the server refused, with every problem it found."""

    def __init__(self, status: int, message: str, extra: dict[str, Any]) -> None:
        super().__init__(status, message, extra)
        self.problems = [Problem.of(p) for p in extra.get("problems", [])]
        self.errors = [p for p in self.problems if p.severity == "error"]
        lines = "\n".join(f"  - {p}" for p in self.errors or self.problems)
        self.args = (f"{status}: {message}\n{lines}",)


BY_STATUS: dict[int, type[CatenaAPIError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: TooLarge,
    422: Unprocessable,
    429: RateLimited,
}


def api_error(status: int, body: Any) -> CatenaAPIError:
    """The exception for an error answer; a body that is not Catena's JSON still
    gives its status and text."""
    if isinstance(body, dict) and "message" in body:
        message, extra = str(body["message"]), body.get("extra") or {}
    else:
        message, extra = str(body)[:500] or f"HTTP {status}", {}
    if not isinstance(extra, dict):
        extra = {"value": extra}
    if status == 400 and extra.get("problems"):
        return ChainInvalid(status, message, extra)
    kind = BY_STATUS.get(status, ServerError if status >= 500 else CatenaAPIError)
    return kind(status, message, extra)
