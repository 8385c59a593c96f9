"""HTTP with the token, Catena's error shape, and retries where they are safe.

Retried, with exponential backoff: 429 (waiting at least its ``Retry-After``),
503, and connection errors. A request that may have reached the server (the
connection broke after it was sent) is sent again only when repeating it
cannot do a thing twice: GET, HEAD, PUT, DELETE, or a request carrying an
``Idempotency-Key``. Every other status is final.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from catena_client.errors import CatenaConnectionError, api_error
from catena_client.version import __version__

RETRY_STATUSES = frozenset({429, 503})
SAFE_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry.

    Attributes
    ----------
    retries : int
        Attempts after the first one.
    backoff : float
        Seconds before the first retry; doubled each time, with jitter.
    max_wait : float
        No single wait is longer than this, ``Retry-After`` included.
    """

    retries: int = 4
    backoff: float = 0.5
    max_wait: float = 30.0

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to sleep before retry number ``attempt`` (from 1)."""
        base = self.backoff * 2 ** (attempt - 1)
        delay = base * (0.5 + random.random() / 2)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return float(min(delay, self.max_wait))


class Http:
    """An ``httpx.Client`` bound to one Catena and one token."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base = url.rstrip("/")
        #: Seconds an answer may take (a waiting request asks for less).
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.client = httpx.Client(
            base_url=self.base,
            timeout=timeout,
            headers={
                "Authorization": f"Token {token}",
                "User-Agent": f"catena-client/{__version__}",
                "Accept": "application/json",
            },
        )

    def close(self) -> None:
        self.client.close()

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded JSON body of a successful answer."""
        response = self.request(method, path, **kwargs)
        return response.json() if response.content else None

    def request(
        self, method: str, path: str, *, replay: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """Send, retrying as the module says; raise for any status >= 400.

        ``replay=True`` marks a POST that changes nothing (e.g. predict), so it
        may be sent again after a broken connection.
        """
        method = method.upper()
        headers: Mapping[str, str] = kwargs.get("headers") or {}
        replayable = replay or method in SAFE_METHODS or "Idempotency-Key" in headers
        attempt = 0
        while True:
            attempt += 1
            more = attempt <= self.retry.retries
            try:
                response = self.client.request(method, path, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Nothing reached the server: always safe to send again.
                self._again_or_raise(more, attempt, exc)
                continue
            except httpx.TransportError as exc:
                self._again_or_raise(more and replayable, attempt, exc)
                continue
            if response.status_code in RETRY_STATUSES and more:
                self.sleep(self.retry.wait(attempt, _retry_after(response)))
                continue
            if response.status_code >= 400:
                raise api_error(response.status_code, _body(response))
            return response

    def _again_or_raise(self, again: bool, attempt: int, exc: Exception) -> None:
        if not again:
            raise CatenaConnectionError(
                f"{self.base} could not be reached: {exc.__class__.__name__}: {exc}"
            ) from exc
        self.sleep(self.retry.wait(attempt))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
