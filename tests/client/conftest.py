"""The client's tests run it against a live Catena started by the real command."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from catena_client import Catena, RetryPolicy

from tests.client.live import Live

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
def client(live) -> Iterator[Catena]:
    with Catena(live.url, live.token, retry=QUICK) as found:
        yield found
