"""Settings of serving (predict) and remote model steps, read from the environment.

Star-imported by ``config.settings`` (kept apart so each module stays small);
``config.settings`` has already read ``.env`` into the environment.
"""

from __future__ import annotations

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

# Serving: rows per predict request, predictions at once per process (more
# answer 503 with Retry-After), prepared chain versions kept per process.
CATENA_SERVE_MAX_ROWS = env.int("CATENA_SERVE_MAX_ROWS", default=10_000)
CATENA_SERVE_CONCURRENCY = env.int("CATENA_SERVE_CONCURRENCY", default=8)
CATENA_SERVE_RETRY_AFTER = env.int("CATENA_SERVE_RETRY_AFTER", default=1)
CATENA_SERVE_PLANS = env.int("CATENA_SERVE_PLANS", default=64)
# Prediction log: rows of inputs and outputs kept per logged request, entries
# pruned every CATENA_SERVE_LOG_PRUNE_SECONDS (celery beat, serving.log_prune).
CATENA_SERVE_LOG_ROWS = env.int("CATENA_SERVE_LOG_ROWS", default=20)
CATENA_SERVE_LOG_PRUNE_SECONDS = env.float(
    "CATENA_SERVE_LOG_PRUNE_SECONDS", default=3600.0
)
# Shadow variants run after the answer in a bounded thread pool; a shadow that
# finds the queue full is dropped (counted), never waited for. Inline runs them
# before answering (tests, debugging).
CATENA_SERVE_SHADOW_THREADS = env.int("CATENA_SERVE_SHADOW_THREADS", default=2)
CATENA_SERVE_SHADOW_QUEUE = env.int("CATENA_SERVE_SHADOW_QUEUE", default=16)
CATENA_SERVE_SHADOWS_INLINE = env.bool("CATENA_SERVE_SHADOWS_INLINE", default=False)

# Remote models.
CATENA_HTTP_ALLOWED_HOSTS = env.list("CATENA_HTTP_ALLOWED_HOSTS", default=[])
# Auth header values by secret name, as JSON: {"ranker": "Bearer ..."}.
CATENA_REMOTE_SECRETS = env.json("CATENA_REMOTE_SECRETS", default={})
if not all(isinstance(v, str) for v in dict(CATENA_REMOTE_SECRETS).values()):
    raise ImproperlyConfigured("CATENA_REMOTE_SECRETS: a JSON object of strings")
CATENA_REMOTE_MAX_RESPONSE_MB = env.float("CATENA_REMOTE_MAX_RESPONSE_MB", default=64)
CATENA_REMOTE_RETRIES = env.int("CATENA_REMOTE_RETRIES", default=2)
CATENA_REMOTE_BACKOFF_SECONDS = env.float("CATENA_REMOTE_BACKOFF_SECONDS", default=0.2)


__all__ = [
    "CATENA_SERVE_MAX_ROWS",
    "CATENA_SERVE_CONCURRENCY",
    "CATENA_SERVE_RETRY_AFTER",
    "CATENA_SERVE_PLANS",
    "CATENA_SERVE_LOG_ROWS",
    "CATENA_SERVE_LOG_PRUNE_SECONDS",
    "CATENA_SERVE_SHADOW_THREADS",
    "CATENA_SERVE_SHADOW_QUEUE",
    "CATENA_SERVE_SHADOWS_INLINE",
    "CATENA_HTTP_ALLOWED_HOSTS",
    "CATENA_REMOTE_SECRETS",
    "CATENA_REMOTE_MAX_RESPONSE_MB",
    "CATENA_REMOTE_RETRIES",
    "CATENA_REMOTE_BACKOFF_SECONDS",
]
