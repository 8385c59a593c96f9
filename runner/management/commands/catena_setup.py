"""Prepare a one-machine Catena: a development superuser and the demo data."""

from __future__ import annotations

import importlib
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

# Each app that ships demo data offers one installer; they run in layer order.
DEMO_INSTALLERS = (
    "registry.demo.demo_models_install",
    "builder.demo.demo_chains_install",
    "runner.demo.demo_datasets_install",
)


class Command(BaseCommand):
    help = "Create the development superuser (once) and install the demo data."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--no-demo", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        user = self.superuser_ensure(options["username"])
        if not options["no_demo"]:
            for path in DEMO_INSTALLERS:
                self.install(path, user)

    def superuser_ensure(self, username: str) -> Any:
        users = get_user_model()
        existing = users.objects.filter(username=username).first()
        if existing is not None:
            return existing
        password = secrets.token_urlsafe(12)
        user = users.objects.create_superuser(
            username, f"{username}@localhost", password
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Created the superuser '{username}' with password: {password}\n"
                "It is shown only this once; change it with "
                f"`.venv/bin/python manage.py changepassword {username}`."
            )
        )
        return user

    def install(self, dotted: str, user: Any) -> None:
        module_name, func_name = dotted.rsplit(".", 1)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            return
        summary = getattr(module, func_name)(user=user)
        if summary:
            self.stdout.write(str(summary))
