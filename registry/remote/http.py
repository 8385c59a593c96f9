"""One HTTP exchange with a remote model: pinned, bounded and retried.

urllib3 connects to the address :func:`~registry.remote.boundary.pin` checked,
while the ``Host`` header, TLS SNI and certificate check use the host name
(``server_hostname`` and ``assert_hostname``), so DNS is asked once per call
and never again behind the check. Redirects are never followed, the body is
read in pieces up to a size cap and a deadline, and only connection errors and
502/503/504 are retried, with exponential backoff.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from catena.errors import StepTransientError
from registry.remote import boundary
from registry.remote.errors import RemoteError

RETRY_STATUSES = frozenset({502, 503, 504})
# Reads return as soon as some bytes arrived, so the deadline is checked often.
_CHUNK = 256 * 1024
_SHOWN = 200


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds of one exchange: seconds, response bytes, retries and backoff."""

    timeout: float = 30.0
    max_bytes: int = 64 * 1024 * 1024
    retries: int = 2
    backoff: float = 0.2


@dataclass(frozen=True, slots=True)
class Target:
    """Where a URL points: scheme, host name, port and the request path."""

    scheme: str
    host: str
    port: int
    path: str

    @classmethod
    def parse(cls, url: str) -> Target:
        """Split ``url``; raises ``RemoteError`` for anything but plain http(s)."""
        try:
            parts = urllib3.util.parse_url(url)
        except ValueError as exc:
            raise RemoteError(f"not a URL: {exc}") from None
        if parts.scheme not in ("http", "https") or not parts.host:
            raise RemoteError("the URL must start with http:// or https:// and a host")
        if parts.auth:
            raise RemoteError("put credentials in a named secret, not in the URL")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, parts.host.strip("[]"), port, parts.request_uri)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass
class Connection:
    """A connection pool to one checked address of one target."""

    target: Target
    address: str
    limits: Limits
    headers: Mapping[str, str] = field(default_factory=dict)
    size: int = 4
    pool: urllib3.HTTPConnectionPool = field(init=False)

    def __post_init__(self) -> None:
        common: dict[str, Any] = {"maxsize": self.size, "retries": False, "block": True}
        if self.target.scheme == "https":
            self.pool = urllib3.HTTPSConnectionPool(
                self.address,
                self.target.port,
                server_hostname=self.target.host,
                assert_hostname=self.target.host,
                cert_reqs="CERT_REQUIRED",
                **common,
            )
        else:
            self.pool = urllib3.HTTPConnectionPool(
                self.address, self.target.port, **common
            )

    def close(self) -> None:
        self.pool.close()

    def exchange(self, method: str, path: str, body: bytes | None = None) -> bytes:
        """Send one request, retrying what is transient; return the body."""
        attempts = self.limits.retries + 1
        for attempt in range(attempts):
            try:
                return self._once(method, path, body)
            except _Retry as exc:
                if attempt + 1 == attempts:
                    raise StepTransientError(
                        f"{self._where(path)} {exc} (after {attempts} attempts)"
                    ) from None
                time.sleep(self.limits.backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _where(self, path: str) -> str:
        return f"{self.target.scheme}://{self.target.host_header}{path}"

    def _once(self, method: str, path: str, body: bytes | None) -> bytes:
        deadline = time.monotonic() + self.limits.timeout
        headers = {"Host": self.target.host_header, **self.headers}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self.pool.urlopen(
                method,
                path,
                body=body,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
                timeout=urllib3.Timeout(self.limits.timeout),
            )
        except (NewConnectionError, ConnectTimeoutError, ProtocolError) as exc:
            raise _Retry(f"could not be reached: {_reason(exc)}") from None
        except ReadTimeoutError:
            raise self._timeout(path) from None
        try:
            return self._body(response, path, deadline)
        except BaseException:
            # A half-read answer must not go back to the pool: close it.
            response.close()
            raise
        finally:
            response.release_conn()

    def _timeout(self, path: str) -> StepTransientError:
        seconds = self.limits.timeout
        return StepTransientError(f"{self._where(path)} timed out after {seconds:g} s")

    def _body(self, response: Any, path: str, deadline: float) -> bytes:
        status = int(response.status)
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.limits.max_bytes:
            raise self._too_big(path)
        data = self._read(response, path, deadline)
        if 300 <= status < 400:
            where = response.headers.get("Location", "")
            raise RemoteError(
                f"{self._where(path)} answered {status} (a redirect to {where!r}); "
                "redirects are not followed: give the final URL"
            )
        if status in RETRY_STATUSES:
            raise _Retry(f"answered {status}: {_first(data)}")
        if not 200 <= status < 300:
            raise RemoteError(f"{self._where(path)} answered {status}: {_first(data)}")
        return data

    def _read(self, response: Any, path: str, deadline: float) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            if time.monotonic() > deadline:
                raise self._timeout(path)
            try:
                chunk = response.read1(_CHUNK)
            except ReadTimeoutError:
                raise self._timeout(path) from None
            except ProtocolError as exc:
                raise _Retry(f"broke off the answer: {_reason(exc)}") from None
            if not chunk:
                return b"".join(parts)
            total += len(chunk)
            if total > self.limits.max_bytes:
                raise self._too_big(path)
            parts.append(chunk)

    def _too_big(self, path: str) -> RemoteError:
        cap = self.limits.max_bytes
        return RemoteError(
            f"{self._where(path)} answered more than {cap:,} bytes "
            "(CATENA_REMOTE_MAX_RESPONSE_MB); send smaller batches"
        )


class _Retry(Exception):
    """A transient failure inside one attempt."""


def _reason(exc: Exception) -> str:
    text = str(getattr(exc, "reason", None) or exc)
    return text.split(": ", 1)[-1] if "Failed to establish" in text else text


def _first(data: bytes) -> str:
    text = data[:_SHOWN].decode("utf-8", "replace").strip()
    more = "…" if len(data) > _SHOWN else ""
    return repr(text + more) if text else "(empty body)"


def connect(
    url: str,
    *,
    allow: boundary.AllowList,
    limits: Limits,
    headers: Mapping[str, str] | None = None,
    resolve: boundary.Resolve = boundary.system_resolve,
    size: int = 4,
) -> Connection:
    """Check ``url``'s host against the boundary and open a pool to its address."""
    target = Target.parse(url)
    address = boundary.pin(target.host, target.port, allow, resolve)
    return Connection(target, address, limits, dict(headers or {}), size)


class Pools:
    """Connections kept per (url, address, headers), reused across calls.

    At most ``size`` are kept; the least recently used is closed first.
    """

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[tuple[Any, ...], Connection] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(
        self,
        url: str,
        *,
        allow: boundary.AllowList,
        limits: Limits,
        headers: Mapping[str, str],
        resolve: boundary.Resolve,
        size: int,
    ) -> Connection:
        """A pool to the address ``url``'s host pins to now (checked every call)."""
        target = Target.parse(url)
        address = boundary.pin(target.host, target.port, allow, resolve)
        key = (target, address, limits, tuple(sorted(headers.items())), size)
        with self._lock:
            found = self._items.get(key)
            if found is None:
                found = Connection(target, address, limits, dict(headers), size)
                self._items[key] = found
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                # Not closed: a call may still be using it; it goes with its last user.
                self._items.popitem(last=False)
            return found

    def clear(self) -> None:
        with self._lock:
            for connection in self._items.values():
                connection.close()
            self._items.clear()
