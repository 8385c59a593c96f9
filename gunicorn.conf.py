"""gunicorn settings for Catena's web app (gunicorn reads this file from the current
folder by default; the start command passes ``-c gunicorn.conf.py``).

Every value can be set in the environment: ``CATENA_BIND`` (default
127.0.0.1:8000), ``CATENA_WEB_WORKERS`` (processes, default 2),
``CATENA_WEB_THREADS`` (threads per process; default: the prediction limit
``CATENA_SERVE_CONCURRENCY`` plus the status waits ``CATENA_STATUS_WAITERS``
plus 4, so a process full of both still has threads to answer 503 instead of
queueing callers). Each worker process prepares every
live chain (loads its models) before it takes its first request.
"""

from __future__ import annotations

import os
from typing import Any

bind = os.environ.get("CATENA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("CATENA_WEB_WORKERS", "2"))
threads = int(
    os.environ.get(
        "CATENA_WEB_THREADS",
        str(
            int(os.environ.get("CATENA_SERVE_CONCURRENCY", "8"))
            + int(os.environ.get("CATENA_STATUS_WAITERS", "16"))
            + 4
        ),
    )
)
worker_class = "gthread"
timeout = int(os.environ.get("CATENA_WEB_TIMEOUT", "120"))
graceful_timeout = 20
keepalive = 5
# Behind a proxy: trust its X-Forwarded-* headers (set to the proxy's address).
forwarded_allow_ips = os.environ.get("CATENA_FORWARDED_ALLOW_IPS", "127.0.0.1")
errorlog = "-"
accesslog = os.environ.get("CATENA_ACCESS_LOG") or None
wsgi_app = "config.wsgi:application"


def post_worker_init(worker: Any) -> None:
    """Warm this worker before its first request: every live chain prepared,
    the submit and predict paths taken once, the broker connected."""
    from serving.warm import web_process_warm

    web_process_warm()
