"""Train and register the demo models (idempotent)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registry.demo import demo_models_install


class Command(BaseCommand):
    help = (
        "Train the demo models (reference sales chain, an ONNX export, iris "
        "classifiers) and register them. Re-running changes nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--username",
            default=None,
            help="a staff user who owns the models and trusts their tree types "
            "(default: the first superuser)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model().objects
        if options["username"]:
            user = users.filter(username=options["username"]).first()
        else:
            user = users.filter(is_superuser=True).order_by("pk").first()
        if user is None or not user.is_staff:
            raise CommandError(
                "Need a staff user: create one with `manage.py catena_setup` or "
                "`manage.py createsuperuser`, or pass --username."
            )
        self.stdout.write(demo_models_install(user=user))
