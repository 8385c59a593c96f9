"""API throttles whose rates are read from settings on every request.

DRF's own classes copy ``DEFAULT_THROTTLE_RATES`` once at import, so a changed
setting (a test's override, for one) would not reach them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import (
    AnonRateThrottle,
    BaseThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)


class SettingsRateMixin:
    setting_name = ""

    def get_rate(self) -> str | None:
        rate: str | None = getattr(settings, self.setting_name)
        return rate


class CatenaUserThrottle(SettingsRateMixin, UserRateThrottle):
    """Calls of a signed-in user or token (``CATENA_THROTTLE_USER``)."""

    setting_name = "CATENA_THROTTLE_USER"


class CatenaAnonThrottle(SettingsRateMixin, AnonRateThrottle):
    """Calls without credentials to open endpoints (``CATENA_THROTTLE_ANON``)."""

    setting_name = "CATENA_THROTTLE_ANON"


class TokenFailureThrottle(SettingsRateMixin, SimpleRateThrottle):
    """Wrong tokens from one address (``CATENA_THROTTLE_TOKEN_FAILURES``).

    Counts failures only, so a script with a good token is never slowed by it.
    """

    scope = "token_failure"
    setting_name = "CATENA_THROTTLE_TOKEN_FAILURES"
    num_requests: int
    duration: int

    def get_cache_key(self, request: Request, view: Any) -> str:
        ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def _load(self, request: Request) -> str:
        key = self.get_cache_key(request, None)
        self.now = self.timer()
        self.history = [
            t for t in self.cache.get(key, []) if t > self.now - self.duration
        ]
        return key

    def is_locked(self, request: Request) -> bool:
        if self.rate is None:
            return False
        self._load(request)
        return bool(len(self.history) >= self.num_requests)

    def record_failure(self, request: Request) -> None:
        if self.rate is None:
            return
        key = self._load(request)
        self.history.insert(0, self.now)
        self.cache.set(key, self.history, self.duration)


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address as the throttles see it (``CATENA_NUM_PROXIES``).

    Shared with the login lockout, so both count the same client. None for a
    request made in code (``force_login``), which has no address.
    """
    ident = BaseThrottle().get_ident(request)  # type: ignore[arg-type]
    return str(ident) if ident else None
