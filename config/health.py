"""What /healthz reports: the database, the broker and a worker, each up or down.

Each check answers within about a second and says only "ok" or a short reason:
no URL, host name or exception text (they may carry credentials) leaves here.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.db import DatabaseError, connection
from kombu.connection import Connection

from config.celery import app

#: How long /healthz waits for a worker to answer a ping.
PING_SECONDS = 1.0
#: How long /healthz waits for a network broker to accept a connection.
CONNECT_SECONDS = 1.0


def health_check() -> dict[str, str]:
    """Each service's state, "ok" or why it is down."""
    broker = broker_check()
    worker = worker_check() if broker == "ok" else "unknown: the broker is down"
    return {"database": database_check(), "broker": broker, "worker": worker}


def database_check() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return "down: the database does not answer"
    return "ok"


def broker_check() -> str:
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        queue = settings.BROKER_DIR / "queue"
        if not (queue.is_dir() and os.access(queue, os.W_OK)):
            return "down: the broker folder is missing or not writable"
        return "ok"
    try:
        url = settings.CELERY_BROKER_URL
        # kombu is untyped.
        with Connection(url, connect_timeout=CONNECT_SECONDS) as conn:  # type: ignore[no-untyped-call]
            conn.ensure_connection(max_retries=0, timeout=CONNECT_SECONDS)
    except Exception:  # noqa: BLE001 - every transport raises its own errors
        return "down: the broker refuses connections"
    return "ok"


def worker_check() -> str:
    try:
        replies = app.control.ping(timeout=PING_SECONDS, limit=1)
    except Exception:  # noqa: BLE001 - the broker went away since its check
        return "down: no worker can be reached (the broker stopped answering)"
    if not replies:
        return f"down: no worker answered a ping within {PING_SECONDS:g} s"
    return "ok"
