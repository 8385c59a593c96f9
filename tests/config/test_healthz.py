"""/healthz tells scripts and load balancers whether Catena can do its work."""

from __future__ import annotations

import socket
import threading

import pytest

from config.health import health_check
from tests.redisserver import RedisServer


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.worker
def test_healthz_is_200_without_login_when_database_broker_and_worker_answer(
    client, celery_worker_process
):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "down": [],
        "checks": {"database": "ok", "broker": "ok", "worker": "ok"},
    }


def test_healthz_is_503_naming_the_worker_when_no_worker_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["down"] == ["worker"]
    assert body["checks"]["database"] == body["checks"]["broker"] == "ok"
    assert body["checks"]["worker"].startswith("down: no worker answered")


def test_healthz_is_503_naming_the_broker_without_its_url(client, db, settings):
    settings.CELERY_BROKER_URL = f"redis://:s3cret@127.0.0.1:{closed_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["broker"]
    assert (
        body["checks"]["broker"]
        == "down: the broker refuses connections or does not answer"
    )
    assert body["checks"]["worker"] == "unknown: the broker is down"
    assert "s3cret" not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


def test_the_checks_answer_while_the_broker_takes_connections_but_never_answers(
    db, settings, tmp_path
):
    # A broker shutting down or stalled: its port open, nothing read or answered.
    server = RedisServer(tmp_path / "redis")
    settings.CELERY_BROKER_URL = server.url
    try:
        assert health_check()["broker"] == "ok"  # while it answers
        server.pause()
        answers: list[dict[str, str]] = []
        checking = threading.Thread(
            target=lambda: answers.append(health_check()), daemon=True
        )
        checking.start()
        checking.join(timeout=60)
        assert answers, "the checks waited for a broker that does not answer"
        assert answers[0]["broker"] == (
            "down: the broker refuses connections or does not answer"
        )
    finally:
        server.resume()
        server.stop()
