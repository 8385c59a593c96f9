"""What a remote call reads from Django's settings: secrets and limits."""

from __future__ import annotations

from django.conf import settings

from registry.remote.errors import RemoteError
from registry.remote.http import Limits


def secret_names() -> list[str]:
    return sorted(settings.CATENA_REMOTE_SECRETS)


def auth_headers(*, secret: str, header: str) -> dict[str, str]:
    """The auth header an endpoint names, with the secret's value from settings."""
    if not secret:
        return {}
    value = settings.CATENA_REMOTE_SECRETS.get(secret)
    if value is None:
        raise RemoteError(
            f"the secret {secret!r} is not in CATENA_REMOTE_SECRETS on this server"
        )
    return {header or "Authorization": value}


def limits(*, timeout: float) -> Limits:
    return Limits(
        timeout=timeout,
        max_bytes=int(settings.CATENA_REMOTE_MAX_RESPONSE_MB * 1024 * 1024),
        retries=max(int(settings.CATENA_REMOTE_RETRIES), 0),
        backoff=max(float(settings.CATENA_REMOTE_BACKOFF_SECONDS), 0.0),
    )
