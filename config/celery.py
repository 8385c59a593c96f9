"""The Celery application; every setting lives in config/settings.py."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("catena")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
