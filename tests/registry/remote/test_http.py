"""One exchange with a real (Node.js) server: redirects, size cap, slow and
dripping servers, bad statuses, retries on 502/503/504 and connection errors."""

from __future__ import annotations

import socket

import pytest

from catena.errors import StepTransientError
from registry.remote import http
from registry.remote.boundary import AllowList
from registry.remote.errors import RemoteError

LOOPBACK = AllowList.parse(["127.0.0.1"])


def connect(url: str, **limits) -> http.Connection:
    given = {"timeout": 5.0, "retries": 2, "backoff": 0.01, **limits}
    return http.connect(url, allow=LOOPBACK, limits=http.Limits(**given))


def get(nodejs, mode: str, **limits) -> bytes:
    connection = connect(f"{nodejs.url}/{mode}/v2/models/lin", **limits)
    try:
        return connection.exchange("GET", f"/{mode}/v2/models/lin")
    finally:
        connection.close()


def test_a_redirect_to_the_metadata_address_is_not_followed(nodejs):
    before = nodejs.requests()
    with pytest.raises(RemoteError, match="answered 302") as caught:
        get(nodejs, "redirect")
    assert "http://169.254.169.254/latest/meta-data/" in str(caught.value)
    assert "redirects are not followed" in str(caught.value)
    assert nodejs.requests() == before + 2  # the redirect and the stats call


def test_an_answer_above_the_size_cap_is_refused(nodejs):
    with pytest.raises(RemoteError, match="answered more than 1,000,000 bytes"):
        get(nodejs, "big", max_bytes=1_000_000)
    assert get(nodejs, "big", max_bytes=8_000_000).startswith(b"[1.0,")


def test_a_server_that_never_answers_times_out(nodejs):
    with pytest.raises(StepTransientError, match="timed out after 0.5 s"):
        get(nodejs, "slow", timeout=0.5)


def test_a_server_dripping_bytes_times_out_on_the_whole_answer(nodejs):
    """One byte every 200 ms never trips the socket timeout; the deadline does."""
    with pytest.raises(StepTransientError, match="timed out after 1 s"):
        get(nodejs, "drip", timeout=1.0)


@pytest.mark.parametrize("status", [400, 401, 404, 500])
def test_a_bad_status_is_permanent_and_shows_the_first_bytes(nodejs, status):
    with pytest.raises(RemoteError, match=f"answered {status}: 'boom: the model"):
        get(nodejs, f"status-{status}")


def test_a_long_error_body_is_cut_to_its_first_bytes(nodejs):
    with pytest.raises(RemoteError) as caught:
        get(nodejs, "status-500")
    assert "…" in str(caught.value)
    assert len(str(caught.value)) < 400


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_gateway_status_is_retried_then_transient(nodejs, status):
    before = nodejs.requests()
    with pytest.raises(StepTransientError, match=f"answered {status}.*3 attempts"):
        get(nodejs, f"status-{status}")
    assert nodejs.requests() == before + 3 + 1


def test_a_service_warming_up_is_retried_until_it_answers(nodejs):
    body = get(nodejs, "flaky-warmup")
    assert b'"platform":"node-linear"' in body


def test_a_refused_connection_is_retried_then_transient():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Nothing listens on the port once the socket is closed.
    connection = connect(f"http://127.0.0.1:{port}/v2/models/m")
    with pytest.raises(StepTransientError, match="could not be reached.*3 attempts"):
        connection.exchange("GET", "/v2/models/m")


def test_the_auth_header_is_sent(nodejs):
    url = f"{nodejs.url}/auth/v2/models/lin"
    with pytest.raises(RemoteError, match="answered 401"):
        connect(url).exchange("GET", "/auth/v2/models/lin")
    connection = http.connect(
        url,
        allow=LOOPBACK,
        limits=http.Limits(timeout=5),
        headers={"Authorization": "Bearer s3cret"},
    )
    assert b"node-linear" in connection.exchange("GET", "/auth/v2/models/lin")


def test_a_connection_cut_short_is_not_reused_for_the_next_request(nodejs):
    """After an answer abandoned half-way, the next request gets a clean answer."""
    connection = connect(f"{nodejs.url}/drip/v2/models/lin", timeout=0.5)
    with pytest.raises(StepTransientError, match="timed out"):
        connection.exchange("GET", "/drip/v2/models/lin")
    body = connection.exchange("GET", "/ok/v2/models/lin")
    assert b'"platform":"node-linear"' in body
    connection.close()
