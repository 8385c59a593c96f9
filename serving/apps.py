from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_save


class ServingConfig(AppConfig):
    name = "serving"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A chain going live is prepared in the process that set it live; other
        # processes prepare it on their next request (the plans' staleness check).
        from builder.models import Chain
        from serving.warm import chain_saved

        post_save.connect(chain_saved, sender=Chain, dispatch_uid="serving-warm")
