"""PostgreSQL is told to drop the session of a client that stopped answering
(a worker host gone from the network) so that the rows it held are freed."""

from __future__ import annotations

import environ

from config.database import databases, postgres_options


def flags(options: str) -> dict[str, str]:
    parts = options.split()
    assert parts[0::2] == ["-c"] * (len(parts) // 2)
    return dict(part.split("=", 1) for part in parts[1::2])


def test_a_silent_client_is_dropped_after_about_twice_the_keepalive_seconds():
    found = flags(postgres_options({}, 30)["options"])
    assert found == {
        "tcp_keepalives_idle": "30",
        "tcp_keepalives_interval": "10",
        "tcp_keepalives_count": "3",
        "tcp_user_timeout": "60000",
    }


def test_options_given_in_the_database_url_are_kept_first(monkeypatch, tmp_path):
    url = "postgres://u@db.example:5432/catena?options=-c%20statement_timeout%3D5000"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CATENA_DB_KEEPALIVE_SECONDS", "6")
    default = databases(environ.Env(), tmp_path)["default"]
    found = flags(default["OPTIONS"]["options"])
    assert list(found)[0] == "statement_timeout"
    assert found["statement_timeout"] == "5000"
    assert found["tcp_keepalives_idle"] == "6"
    assert found["tcp_keepalives_interval"] == "2"
    assert found["tcp_user_timeout"] == "12000"


def test_sqlite_gets_no_keepalive_options(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    default = databases(environ.Env(), tmp_path)["default"]
    assert default["ENGINE"] == "django.db.backends.sqlite3"
    assert "options" not in default["OPTIONS"]
    assert default["NAME"] == str(tmp_path / "catena.sqlite3")


def test_sqlite_connections_are_kept_for_the_life_of_the_process(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    default = databases(environ.Env(), tmp_path)["default"]
    assert default["CONN_MAX_AGE"] is None


def test_a_web_request_leaves_its_database_connection_open_for_the_next(
    transactional_db, owner
):
    # Both configurations: SQLite keeps it for good, PostgreSQL for a minute.
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test import RequestFactory

    from accounts.services import api_token_create

    token = api_token_create(user=owner).key

    def request() -> str:
        environ = (
            RequestFactory()
            .get(
                "/api/runs/",
                HTTP_HOST="localhost",
                HTTP_AUTHORIZATION=f"Token {token}",
            )
            .environ
        )
        statuses: list[str] = []
        handler = WSGIHandler()
        b"".join(handler(environ, lambda status, *rest: statuses.append(status)))
        return statuses[0]

    assert request() == "200 OK"
    opened = connection.connection
    assert opened is not None
    assert request() == "200 OK"
    assert connection.connection is opened
