"""Retries against the real server: 429 from its own throttle, 503 and cut
connections from a real proxy in front of it; nothing is done twice."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest
import skops.io as sio
from catena_client import (
    BadRequest,
    Catena,
    CatenaConnectionError,
    RateLimited,
    RetryPolicy,
    ServerError,
)
from sklearn.linear_model import Ridge

from tests.client.conftest import QUICK
from tests.client.proxy import Proxy
from tests.startcommand import ROOT, free_port

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def statuses_of(client: Catena) -> list[int]:
    """The status of every answer the client receives, retries included."""
    seen: list[int] = []
    client.http.client.event_hooks["response"].append(
        lambda response: seen.append(response.status_code)
    )
    return seen


@pytest.fixture(scope="module")
def throttled(live) -> Iterator[str]:
    """A second web process on the live server's data, throttling 2 calls/s."""
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL")
    }
    env.update(CATENA_VAR_DIR=str(live.var), CATENA_THROTTLE_USER="2/second")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        with Catena(url, live.token, retry=RetryPolicy(retries=60, backoff=0.5)) as c:
            c.me()  # connection refused until it listens: retried
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_throttled_call_waits_its_retry_after_and_succeeds(throttled, live):
    with Catena(throttled, live.token, retry=QUICK) as client:
        seen = statuses_of(client)
        for _ in range(6):
            assert client.me()["username"] == "admin"
    assert 429 in seen
    assert seen.count(200) == 6


def test_still_throttled_after_the_retries_is_rate_limited(throttled, live):
    policy = RetryPolicy(retries=0)
    with (
        Catena(throttled, live.token, retry=policy) as client,
        pytest.raises(RateLimited) as raised,
    ):
        hammer(client, times=20)
    assert raised.value.status == 429
    assert "throttled" in raised.value.message.lower()


def hammer(client: Catena, *, times: int) -> None:
    for _ in range(times):
        client.me()


def test_two_503s_are_retried_and_the_third_try_answers(proxied, live):
    proxied.plan = lambda method, path, n: "503" if n <= 2 else "pass"
    with Catena(proxied.url, live.token, retry=QUICK) as client:
        assert client.me()["username"] == "admin"
    assert proxied.count("GET") == 3


def test_503_after_every_retry_is_a_server_error(proxied, live):
    proxied.plan = lambda method, path, n: "503"
    with (
        Catena(proxied.url, live.token, retry=QUICK) as client,
        pytest.raises(ServerError) as raised,
    ):
        client.me()
    assert raised.value.status == 503
    assert proxied.count("GET") == 1 + QUICK.retries


def test_a_400_is_never_retried(proxied, live):
    with (
        Catena(proxied.url, live.token, retry=QUICK) as client,
        pytest.raises(BadRequest),
    ):
        client.chains.create("not a slug!")
    assert proxied.count("POST") == 1


def test_a_refused_connection_is_retried_until_the_server_listens(live):
    port = free_port()
    started: list[Proxy] = []

    def sleep(seconds: float) -> None:
        # The server comes up while the client waits after its first try.
        if not started:
            started.append(Proxy(live.url, lambda m, p, n: "pass", port=port))

    try:
        url = f"http://127.0.0.1:{port}"
        with Catena(url, live.token, retry=QUICK, sleep=sleep) as client:
            assert client.me()["username"] == "admin"
    finally:
        for proxy in started:
            proxy.close()
    assert started[0].count("GET") == 1


def test_nobody_listening_is_a_connection_error_after_the_retries(live):
    waits: list[float] = []
    url = f"http://127.0.0.1:{free_port()}"
    with (
        Catena(url, live.token, retry=QUICK, sleep=waits.append) as client,
        pytest.raises(CatenaConnectionError, match="could not be reached"),
    ):
        client.me()
    assert len(waits) == QUICK.retries
    assert all(0 < w <= QUICK.max_wait for w in waits)


def test_a_lost_answer_to_an_upload_is_not_sent_again(client, proxied, live, tmp_path):
    path = tmp_path / "m.skops"
    sio.dump(Ridge().fit(np.eye(3), [0.0, 1.0, 2.0]), path)
    client.models.upload("client-lost", path)
    target = "/api/models/client-lost/versions/"
    proxied.plan = lambda m, p, n: "lose-answer" if p == target else "pass"
    with (
        Catena(proxied.url, live.token, retry=QUICK) as through,
        pytest.raises(CatenaConnectionError),
    ):
        through.models.upload("client-lost", path)
    assert proxied.count("POST", target) == 1
    assert [v.number for v in client.models.versions("client-lost")] == [2, 1]


def test_a_lost_answer_to_a_run_submission_is_retried_and_makes_one_run(
    client, proxied, live
):
    chain = client.chain("client-retry-run").input([("a", "float")]).save()
    lost: list[int] = []

    def plan(method: str, path: str, n: int) -> str:
        if method == "POST" and path == "/api/runs/" and not lost:
            lost.append(n)
            return "lose-answer"
        return "pass"

    proxied.plan = plan
    with Catena(proxied.url, live.token, retry=QUICK) as through:
        run = through.get_chain("client-retry-run").run([{"a": 1.0}, {"a": 2.0}])
    keys = [h["Idempotency-Key"] for m, p, h in proxied.seen if p == "/api/runs/"]
    assert len(keys) == 2
    assert keys[0] == keys[1]
    assert [r.id for r in client.runs.list(chain="client-retry-run")] == [run.id]
    assert client.runs.get(run.id).wait(show_progress=False).outputs["out"][
        "a"
    ].tolist() == [1.0, 2.0]
    assert chain.number == run.version


def test_connection_errors_on_safe_methods_are_retried(proxied, live):
    proxied.plan = lambda m, p, n: "drop" if n == 1 else "pass"
    with Catena(proxied.url, live.token, retry=QUICK) as client:
        assert client.me()["username"] == "admin"
    assert proxied.count("GET") == 2
