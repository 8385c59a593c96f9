"""The database setting: SQLite under ``var/`` by default, or ``DATABASE_URL``.

On PostgreSQL the server is told to find a client that stopped answering (a
worker host gone from the network, a process killed mid-commit with its link
down) within about ``2 x CATENA_DB_KEEPALIVE_SECONDS``: its session ends, its
transaction rolls back and the rows it held locked are free again. Without
this the operating system's defaults keep such a session for over two hours.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ

#: Unanswered keepalive probes before PostgreSQL drops a client.
KEEPALIVE_PROBES = 3


def databases(env: environ.Env, var_dir: Path) -> dict[str, dict[str, Any]]:
    default = env.db("DATABASE_URL", default=f"sqlite:///{var_dir / 'catena.sqlite3'}")
    if default["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web process read while a worker writes; the timeout rides
        # out the short write locks several worker processes take. A file, not
        # memory, so that a test's Celery worker process sees its data.
        default["TEST"] = {"NAME": str(var_dir / "test_catena.sqlite3")}
        default["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # A connection is a file handle: each thread keeps its own for good
        # (unless broken) instead of opening one, with its PRAGMAs and schema
        # read, for every request (about 1 ms of each).
        default.setdefault("CONN_MAX_AGE", None)
    else:
        default.setdefault("CONN_MAX_AGE", 60)
        seconds = env.int("CATENA_DB_KEEPALIVE_SECONDS", default=30)
        default["OPTIONS"] = postgres_options(default.get("OPTIONS", {}), seconds)
    return {"default": default}


def postgres_options(options: dict[str, Any], seconds: int) -> dict[str, Any]:
    """``options`` with the server's keepalive settings for this session added.

    The server probes a client silent for ``seconds``, then every third of it,
    and drops the session after ``KEEPALIVE_PROBES`` unanswered probes (or once
    sent data stays unacknowledged as long). Any user may set these per session.
    """
    idle = max(1, seconds)
    interval = max(1, idle // 3)
    flags = {
        "tcp_keepalives_idle": idle,
        "tcp_keepalives_interval": interval,
        "tcp_keepalives_count": KEEPALIVE_PROBES,
        "tcp_user_timeout": (idle + KEEPALIVE_PROBES * interval) * 1000,
    }
    given = str(options.get("options", ""))
    added = " ".join(f"-c {name}={value}" for name, value in flags.items())
    return {**options, "options": f"{given} {added}".strip()}
