from __future__ import annotations

from django.apps import AppConfig


class BuilderConfig(AppConfig):
    name = "builder"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from builder.impact import chains_following
        from builder.usage import chains_using
        from registry.impact import register_impact_provider
        from registry.usage import register_usage_provider

        register_usage_provider(chains_using)
        register_impact_provider(chains_following)
