from __future__ import annotations

from django.apps import AppConfig


class BuilderConfig(AppConfig):
    name = "builder"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        try:
            from registry.usage import register_usage_provider
        except ImportError:  # the registry app predates its usage hook
            return
        from builder.usage import chains_using

        register_usage_provider(chains_using)
