"""A thread's database connection kept healthy between the nodes it records."""

from __future__ import annotations

from django.db import close_old_connections, connection


def connections_refresh() -> None:
    """What Django does around a request: keep a healthy connection for
    CONN_MAX_AGE, drop a broken or old one (Celery is told not to close it).

    Never inside a transaction (a caller's, or a test's). A worker's SQLite
    connection is a file handle: it is kept across nodes unless broken
    (closing one in WAL mode costs a checkpoint).
    """
    if connection.in_atomic_block:
        return
    if connection.vendor == "sqlite" and not connection.settings_dict["CONN_MAX_AGE"]:
        if connection.connection is not None and not connection.is_usable():
            connection.close()
        return
    close_old_connections()
