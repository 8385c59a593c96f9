"""Production security comes from the environment, and bad values stop the start.

Each test starts ``manage.py`` in a subprocess with the environment under test,
as a deployment would; settings are read once per process.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
CLEARED = ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "EMAIL_")
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "catena.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://catena.example.com",
    "CATENA_HTTPS": "true",
    "CATENA_PROXY_SSL_HEADER": "true",
}
SHOWN = [
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_PROXY_SSL_HEADER",
    "CATENA_PASSWORD_RESET",
    "EMAIL_HOST",
]
SHOW = (
    "import json; from django.conf import settings; "
    f"print(json.dumps({{n: getattr(settings, n, None) for n in {SHOWN!r}}}))"
)


def manage(tmp_path: Path, *args: str, **environ: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(CLEARED) and not k.startswith("CATENA_")
    }
    # The browser tests set it in this process for Playwright; a deployment has not.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(CATENA_VAR_DIR=str(tmp_path), **environ)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def shown_settings(tmp_path: Path, **environ: str) -> dict:
    result = manage(tmp_path, "shell", "-c", SHOW, **environ)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_pass_the_deploy_check_without_warnings(tmp_path):
    result = manage(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deploy_check_fails_without_https(tmp_path):
    plain = {**PRODUCTION, "CATENA_HTTPS": "false"}
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **plain)
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


def test_https_turns_on_redirect_hsts_secure_cookies_and_the_proxy_header(tmp_path):
    shown = shown_settings(tmp_path, **PRODUCTION, CATENA_HSTS_SECONDS="600")
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert shown["SESSION_COOKIE_SECURE"] is True
    assert shown["CSRF_COOKIE_SECURE"] is True
    assert shown["SECURE_HSTS_SECONDS"] == 600
    assert shown["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert shown["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_one_machine_defaults_start_with_a_generated_key_and_no_https(tmp_path):
    shown = shown_settings(tmp_path)
    assert shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SESSION_COOKIE_SECURE"] is False
    assert shown["SECURE_HSTS_SECONDS"] == 0
    assert shown["SECURE_PROXY_SSL_HEADER"] is None
    assert (tmp_path / "secret_key").exists() is True


def test_debug_off_without_secret_key_refuses_to_start(tmp_path):
    environ = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage(tmp_path, "check", **environ)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr
    assert (tmp_path / "secret_key").exists() is False


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CATENA_HTTPS", "maybe"),
        ("CATENA_PROXY_SSL_HEADER", "yes please"),
        ("CATENA_HSTS_SECONDS", "-1"),
        ("CATENA_HSTS_SECONDS", "a year"),
        ("CATENA_THROTTLE_USER", "lots"),
        ("CATENA_THROTTLE_ANON", "10/fortnight"),
        ("CATENA_LOGIN_FAILURE_LIMIT", "five"),
    ],
)
def test_a_bad_value_stops_the_start_and_names_the_setting(tmp_path, name, value):
    result = manage(tmp_path, "check", **{**PRODUCTION, name: value})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {name}" in result.stderr


def test_password_reset_is_on_only_when_mail_is_configured(tmp_path):
    assert shown_settings(tmp_path)["CATENA_PASSWORD_RESET"] is False
    by_url = shown_settings(
        tmp_path, EMAIL_URL="smtp://mailer:secret@mail.example.com:587"
    )
    assert by_url["CATENA_PASSWORD_RESET"] is True
    assert by_url["EMAIL_HOST"] == "mail.example.com"
    by_host = shown_settings(tmp_path, EMAIL_HOST="mail.example.com")
    assert by_host["CATENA_PASSWORD_RESET"] is True


def test_https_redirects_pages_but_not_the_health_check(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 600
    page = client.get("/accounts/login/")
    assert page.status_code == 301
    assert page["Location"] == "https://testserver/accounts/login/"
    health = client.get("/healthz")  # 503 here: no worker runs in this test
    assert health.status_code != 301
    assert "checks" in health.json()
    secure = client.get("/accounts/login/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=600; includeSubDomains"


def test_the_proxy_header_marks_requests_secure_only_when_trusted(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    forwarded = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert forwarded.status_code == 200
