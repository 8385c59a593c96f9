"""``run.wait()`` asks the server to wait (``?wait=``): one request sees a run end,
and a server that answers at once is still polled, ever less often."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from catena_client import Catena

from catena.reference import synthetic_sales
from tests.client.conftest import QUICK
from tests.client.proxy import Proxy
from tests.client.test_sales_chain import sales_chain

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def status_waits(proxy: Proxy, run_id: int) -> list[float]:
    asked = []
    for method, path, _ in proxy.seen:
        parts = urlsplit(path)
        if method == "GET" and parts.path == f"/api/runs/{run_id}/status":
            asked.append(float(parse_qs(parts.query)["wait"][0]))
    return asked


def test_one_status_request_sees_a_run_of_thousands_of_rows_end(client, proxied, live):
    df, _ = synthetic_sales(2_000, seed=21)
    sales_chain(client, "client-wait", df)
    with Catena(proxied.url, live.token, retry=QUICK) as through:
        run = through.get_chain("client-wait").run(df)
        assert run.active
        run.wait(show_progress=False, poll=30)
    assert run.status == "succeeded"
    assert status_waits(proxied, run.id) == [15.0]


def test_a_wait_asks_the_server_to_answer_before_the_clients_timeout(
    client, proxied, live
):
    df, _ = synthetic_sales(3, seed=23)
    sales_chain(client, "client-wait-timeout", df)
    with Catena(proxied.url, live.token, retry=QUICK, timeout=5) as through:
        run = through.get_chain("client-wait-timeout").run(df)
        run.wait(show_progress=False, poll=30)
    assert run.status == "succeeded"
    # Its 5 s timeout less a 2 s margin: never a wait the client gives up on.
    assert status_waits(proxied, run.id)
    assert set(status_waits(proxied, run.id)) == {3.0}


def test_a_status_that_answers_at_once_is_asked_again_ever_less_often(
    client, live, monkeypatch
):
    df, _ = synthetic_sales(5, seed=22)
    sales_chain(client, "client-wait-old", df)
    pauses: list[float] = []
    paused = Catena(live.url, live.token, retry=QUICK, sleep=pauses.append)
    run = paused.get_chain("client-wait-old").run(df)
    # A server that ignores ``wait`` (an older one) answers "queued" at once
    # three times; the fourth answer, from the live server, is the end.
    early = iter([{"done": 0, "total": 8, "status": "queued", "active": True}] * 3)
    real = run.http.json

    def json(method: str, path: str, **kwargs):
        if path.endswith("/status"):
            return next(early, None) or real(method, path, params={"wait": 15})
        return real(method, path, **kwargs)

    monkeypatch.setattr(run.http, "json", json)
    with paused:
        run.wait(show_progress=False, poll=0.5, first_poll=0.05)
    assert run.status == "succeeded"
    assert pauses == pytest.approx([0.05, 0.075, 0.1125])
