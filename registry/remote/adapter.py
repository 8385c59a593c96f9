"""The loaded form of a remote model: ``call(method, frame)`` over HTTP.

Rows go out in batches of ``batch_size``, up to ``parallel`` at once, and the
answers are put back in the order of the rows. The boundary is checked and
the host resolved once per call; every batch of the call uses that address.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from catena.resolving import Signature
from registry.remote import boundary, records, v2
from registry.remote import tensors as tz
from registry.remote.errors import RemoteError
from registry.remote.http import Connection, Limits, Pools
from registry.remote.values import Array

PROTOCOLS = ("v2", "records")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Everything needed to call one remote model version."""

    url: str
    protocol: str
    signature: Signature
    inputs: tuple[tz.Tensor, ...] = ()
    outputs: tuple[tz.Tensor, ...] = ()
    batch_size: int = 1000
    parallel: int = 4
    limits: Limits = Limits()


#: The settings a call reads when it starts: allow-list and auth headers.
Settings = Callable[[], tuple[boundary.AllowList, Mapping[str, str]]]

pools = Pools()


@dataclass
class RemoteModel:
    """Adapter the registry's loader returns for an endpoint version."""

    endpoint: Endpoint
    settings: Settings
    resolve: boundary.Resolve = boundary.system_resolve
    pools: Pools = field(default_factory=lambda: pools)

    def call(self, method: str, frame: pd.DataFrame) -> Array:
        """Send ``frame``'s rows to the endpoint and return its outputs in order."""
        if method not in self.endpoint.signature.outputs:
            raise RemoteError(f"a remote model offers only predict, not {method}")
        connection = self.connect()
        n = len(frame)
        if n == 0:
            width = len(self.endpoint.signature.outputs[method])
            return np.empty((0, width))
        size = self.endpoint.batch_size
        batches = [frame.iloc[i : i + size] for i in range(0, n, size)]
        if len(batches) == 1:
            return self._batch(connection, batches[0])
        return _concat(self._parallel(connection, batches))

    def connect(self) -> Connection:
        allow, headers = self.settings()
        return self.pools.get(
            self.endpoint.url,
            allow=allow,
            limits=self.endpoint.limits,
            headers=headers,
            resolve=self.resolve,
            size=self.endpoint.parallel,
        )

    def _parallel(
        self, connection: Connection, batches: list[pd.DataFrame]
    ) -> list[Array]:
        workers = min(self.endpoint.parallel, len(batches))
        pool = ThreadPoolExecutor(workers, thread_name_prefix="catena-remote")
        futures: list[Future[Array]] = [
            pool.submit(self._batch, connection, b) for b in batches
        ]
        try:
            return [f.result() for f in futures]
        finally:
            # On a failure the batches not yet sent are dropped, not sent.
            pool.shutdown(wait=True, cancel_futures=True)

    def _batch(self, connection: Connection, frame: pd.DataFrame) -> Array:
        endpoint = self.endpoint
        path = connection.target.path
        if endpoint.protocol == "v2":
            path = path.rstrip("/") + "/infer"
            body = connection.exchange("POST", path, v2.encode(frame, endpoint.inputs))
            return v2.decode(body, endpoint.outputs, len(frame))
        columns = endpoint.signature.outputs["predict"]
        answer = connection.exchange(
            "POST", path, records.encode(frame, endpoint.signature.inputs)
        )
        return records.decode(answer, columns, len(frame))


def _concat(parts: list[Array]) -> Array:
    if any(p.dtype == object for p in parts):
        parts = [p.astype(object) for p in parts]
    return np.concatenate(parts)


def fetch_metadata(
    url: str,
    *,
    allow: boundary.AllowList,
    limits: Limits,
    headers: Mapping[str, str],
    resolve: boundary.Resolve = boundary.system_resolve,
) -> tuple[tuple[tz.Tensor, ...], tuple[tz.Tensor, ...]]:
    """The V2 metadata (``GET`` on the model URL) as input and output tensors.

    Raises ``RemoteError`` (including a refused host) or ``StepTransientError``.
    """
    from registry.remote import http

    connection = http.connect(
        url, allow=allow, limits=limits, headers=headers, resolve=resolve, size=1
    )
    try:
        body = connection.exchange("GET", connection.target.path or "/")
    finally:
        connection.close()
    return v2.metadata(body)
