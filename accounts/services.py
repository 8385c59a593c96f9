"""Creating, checking and revoking API tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, token_digest

# Writing last_used on every call would cost the predict hot path a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its key; the key exists nowhere else and is shown once."""

    token: ApiToken
    key: str


@transaction.atomic
def api_token_create(*, user: User, name: str = "") -> IssuedToken:
    key = secrets.token_hex(20)
    token = ApiToken(
        user=user,
        name=name.strip(),
        prefix=key[: ApiToken.PREFIX_LENGTH],
        digest=token_digest(key),
    )
    token.full_clean()
    token.save()
    return IssuedToken(token=token, key=key)


def api_token_check(*, key: str) -> ApiToken | None:
    """The active token whose digest matches ``key``, or None."""
    token = (
        ApiToken.objects.select_related("user").filter(digest=token_digest(key)).first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(id=token.id).update(last_used=now)
        token.last_used = now
    return token


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> bool:
    """Delete one of the user's tokens; False when it was not theirs or is gone."""
    deleted, _ = ApiToken.objects.filter(user=user, id=token_id).delete()
    return deleted > 0
