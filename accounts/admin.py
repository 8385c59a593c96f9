"""Admin for API tokens: list and revoke; the secret is never shown or stored."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("prefix", "name", "user", "created", "last_used")
    list_filter = ("created",)
    search_fields = ("name", "prefix", "user__username")
    fields = ("user", "name", "prefix", "created", "last_used")
    readonly_fields = ("user", "prefix", "created", "last_used")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A key is shown once, to its owner: on the API tokens page or by
        # `manage.py token_create`.
        return False
