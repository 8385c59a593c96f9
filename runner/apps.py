from __future__ import annotations

from django.apps import AppConfig


class RunnerConfig(AppConfig):
    name = "runner"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # builder may not import runner, so the chain list learns each chain's
        # last run through a provider registered here.
        try:
            from builder.runs_summary import register_provider
        except ImportError:
            return
        from runner.selectors import chain_runs_summary

        register_provider(chain_runs_summary)
