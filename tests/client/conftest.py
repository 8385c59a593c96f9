"""The client's tests run it against a live Catena started by the real command."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from catena_client import Catena, RetryPolicy

from tests.client.live import Live
from tests.client.proxy import Proxy

#: Quick retries in tests: the behaviour is the same, the waits are short.
QUICK = RetryPolicy(retries=3, backoff=0.05, max_wait=2.0)


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> Iterator[Live]:
    server = Live(tmp_path_factory.mktemp("live-catena"))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def proxied(live) -> Iterator[Proxy]:
    """A real proxy in front of the live server, passing everything on until a
    test sets its ``plan``; ``seen`` holds every request."""
    proxy = Proxy(live.url, lambda method, path, n: "pass")
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def client(live) -> Iterator[Catena]:
    with Catena(live.url, live.token, retry=QUICK) as found:
        yield found
