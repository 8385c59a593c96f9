"""What /healthz reports: the database, the broker and a worker, each up or down.

Each check answers within about a second and says only "ok" or a short reason:
no URL, host name or exception text (they may carry credentials) leaves here.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.db import DatabaseError, connection
from kombu.connection import Connection
from kombu.pidbox import Mailbox

from config.celery import app

#: How long /healthz waits for a worker to answer a ping.
PING_SECONDS = 1.0
#: How long /healthz waits for a network broker to accept a connection.
CONNECT_SECONDS = 1.0
#: How long /healthz waits for a network broker to answer once connected.
SOCKET_SECONDS = 2.0


def health_check() -> dict[str, str]:
    """Each service's state, "ok" or why it is down."""
    broker = broker_check()
    if broker == "ok":
        worker = worker_check(settings.CELERY_BROKER_URL)
    else:
        worker = "unknown: the broker is down"
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
        with connection_bounded(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=0, timeout=CONNECT_SECONDS)
    except Exception:  # noqa: BLE001 - every transport raises its own errors
        return "down: the broker refuses connections or does not answer"
    return "ok"


def worker_check(url: str) -> str:
    """Whether a worker answers a ping, sent once over a connection of its own."""
    try:
        with connection_bounded(url) as conn:
            replies = control_mailbox(conn).multi_call(  # type: ignore[no-untyped-call]
                "ping", timeout=PING_SECONDS, limit=1
            )
    except Exception:  # noqa: BLE001 - the broker went away since its check
        return "down: no worker can be reached (the broker stopped answering)"
    if not replies:
        return f"down: no worker answered a ping within {PING_SECONDS:g} s"
    return "ok"


def connection_bounded(url: str) -> Connection:
    """A connection to the broker at `url`, tried once, each connect and read
    bounded: a broker that takes connections but does not answer (frozen, or
    shutting down) held /healthz until it answered."""
    conf = app.conf
    # The embedded broker's transport and folders are the app's; a network
    # broker needs only its URL.
    embedded = url.startswith("filesystem://")
    options = conf.broker_transport_options if embedded else {}
    bounded = {
        "max_retries": 0,
        "socket_timeout": SOCKET_SECONDS,
        "socket_connect_timeout": CONNECT_SECONDS,
    }
    return Connection(  # type: ignore[no-untyped-call]  # kombu is untyped
        url,
        transport=conf.broker_transport if embedded else None,
        transport_options={**options, **bounded},
        connect_timeout=CONNECT_SECONDS,
    )


def control_mailbox(conn: Connection) -> Mailbox:
    """Celery's control mailbox on `conn`, publishing there rather than through
    the app's producer pool, whose connections wait on a broker that does not
    answer."""
    conf = app.conf
    mailbox = Mailbox(  # type: ignore[no-untyped-call]
        conf.control_exchange,
        type="fanout",
        accept=conf.accept_content,
        serializer=conf.task_serializer,
        queue_ttl=conf.control_queue_ttl,
        reply_queue_ttl=conf.control_queue_ttl,
        queue_expires=conf.control_queue_expires,
        reply_queue_expires=conf.control_queue_expires,
    )
    bound: Mailbox = mailbox(conn)
    return bound
