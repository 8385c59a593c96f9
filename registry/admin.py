"""Read-mostly admin: versions are immutable and trust goes through the pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from registry.models import (
    Alias,
    AliasMove,
    AllowedHost,
    ModelVersion,
    RegisteredModel,
    RemoteEndpoint,
    TrustRecord,
)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # Deleting a version would let its number be given again; deleting an alias
    # move or a trust record would rewrite history. None of them is deleted.
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RegisteredModel)
class RegisteredModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "title", "owner", "created")
    search_fields = ("name", "title")
    readonly_fields = ("name", "created")


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ("model", "number", "format", "trusted", "uploaded_by", "created")
    list_filter = ("format", "trusted")
    search_fields = ("model__name", "sha256")


@admin.register(Alias)
class AliasAdmin(ReadOnlyAdmin):
    list_display = ("model", "name", "version", "moved_by", "moved")


@admin.register(AliasMove)
class AliasMoveAdmin(ReadOnlyAdmin):
    list_display = ("model", "alias", "from_version", "to_version", "moved_by", "moved")


@admin.register(TrustRecord)
class TrustRecordAdmin(ReadOnlyAdmin):
    list_display = ("version", "types", "trusted_by", "created")


@admin.register(RemoteEndpoint)
class RemoteEndpointAdmin(ReadOnlyAdmin):
    list_display = ("version", "url", "protocol", "secret", "timeout", "batch_size")
    search_fields = ("version__model__name", "url")


@admin.register(AllowedHost)
class AllowedHostAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The allow-list of remote model hosts, besides CATENA_HTTP_ALLOWED_HOSTS.

    A name (``models.example.com``, ``*.example.com``) allows global addresses
    only; an address or network (``10.0.0.7``, ``10.0.0.0/8``) also allows the
    internal addresses it holds.
    """

    list_display = ("entry", "note", "created")
    search_fields = ("entry", "note")
