"""DRF authentication by hashed API token, with failed attempts throttled."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import ApiToken
from accounts.services import api_token_check
from accounts.throttles import TokenFailureThrottle


class HashedTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, checked against stored digests.

    A subclass of DRF's class so that clients, the OpenAPI schema and the
    ``WWW-Authenticate: Token`` challenge stay the same; only the lookup differs.
    Wrong keys count against the caller's address: past the limit, every token
    attempt from it is refused with 429 before any lookup.
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        self.request = request
        return super().authenticate(request)

    def authenticate_credentials(self, key: str) -> tuple[AbstractBaseUser, ApiToken]:
        throttle = TokenFailureThrottle()
        if throttle.is_locked(self.request):
            raise exceptions.Throttled(throttle.wait())
        token = api_token_check(key=key)
        if token is None:
            throttle.record_failure(self.request)
            raise exceptions.AuthenticationFailed("Invalid token.")
        return token.user, token
