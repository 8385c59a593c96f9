from __future__ import annotations

from django.apps import AppConfig


class BuilderConfig(AppConfig):
    name = "builder"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from builder.usage import chains_using
        from registry.usage import register_usage_provider

        register_usage_provider(chains_using)
