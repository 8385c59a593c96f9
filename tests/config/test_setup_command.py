"""The start command's setup step: a superuser once, and safe to run again."""

from __future__ import annotations

import re
from io import StringIO

from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command


def test_setup_creates_a_superuser_and_prints_its_password_once(db):
    first, second = StringIO(), StringIO()
    call_command("catena_setup", "--no-demo", stdout=first)
    call_command("catena_setup", "--no-demo", stdout=second)
    password = re.search(r"password: (\S+)", first.getvalue()).group(1)
    assert authenticate(username="admin", password=password).is_superuser is True
    assert "password" not in second.getvalue()
    assert get_user_model().objects.filter(username="admin").count() == 1
