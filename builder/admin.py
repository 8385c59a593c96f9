from __future__ import annotations

from django.contrib import admin

from builder.models import Chain, ChainDraft, ChainVersion


class ChainVersionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ChainVersion
    fields = ("number", "hash", "saved_by", "created", "message")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Chain)
class ChainAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "title", "owner", "live_version", "updated")
    search_fields = ("name", "title", "description")
    raw_id_fields = ("owner", "live_version")
    inlines = [ChainVersionInline]


@admin.register(ChainVersion)
class ChainVersionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Versions are immutable: the admin shows them and changes nothing."""

    list_display = ("chain", "number", "saved_by", "created", "message")
    list_filter = ("chain",)
    readonly_fields = ("chain", "number", "document", "hash", "saved_by", "created")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    # A deleted version's number would be given again to the next save.
    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(ChainDraft)
class ChainDraftAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("chain", "user", "base_number", "updated")
