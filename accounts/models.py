"""API tokens, stored as digests so that a copy of the database opens nothing."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone


def token_digest(key: str) -> str:
    """The stored form of a token: sha256 of the key, hex."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A secret a script sends as ``Authorization: Token <key>``.

    Only the digest is kept. Keys are 160 random bits, so an unsalted sha256 is
    enough: there is no dictionary to try, and lookup stays one indexed query.
    """

    PREFIX_LENGTH = 8

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=PREFIX_LENGTH, help_text="Not secret.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or 'unnamed'})"


class TeamAdmin(models.Model):
    """Marks a member of a team (a Django ``Group``) as one of its admins.

    Membership itself is Django's ``user.groups``, so Django admin keeps working;
    this row only adds the right to manage the team's members.
    """

    team = models.ForeignKey(
        "auth.Group", on_delete=models.CASCADE, related_name="admins"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "user"], name="accounts_teamadmin_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} admin of {self.team_id}"
