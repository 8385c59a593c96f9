"""Keys of DRF's old token table keep working after the digest migration."""

from __future__ import annotations

import hashlib
import io
import secrets

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from accounts.models import ApiToken

TABLE = "authtoken_token"


def migrate(target: tuple[str, str | None]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def migrate_to_latest() -> None:
    """Leave the schema as the other tests expect it: every accounts migration."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("accounts"))


def create_old_token_table(user_id: int, key: str) -> None:
    """The table as ``rest_framework.authtoken`` made it, with one key in it."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {q(TABLE)} ({q('key')} varchar(40) NOT NULL PRIMARY KEY,"
            f" {q('created')} timestamp NOT NULL, {q('user_id')} integer NOT NULL)"
        )
        cursor.execute(
            f"INSERT INTO {q(TABLE)} VALUES (%s, %s, %s)",
            [key, "2024-03-01 12:00:00", user_id],
        )
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)",
            ["authtoken", "0001_initial", "2024-03-01 12:00:00"],
        )


@pytest.mark.django_db(transaction=True)
def test_an_old_key_works_after_the_migration_and_no_plaintext_is_left(owner):
    key = secrets.token_hex(20)
    migrate(("accounts", None))
    try:
        create_old_token_table(owner.id, key)
        migrate(("accounts", "0002_digest_authtoken_keys"))
    finally:
        migrate_to_latest()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/chains/").status_code == 200
    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert token.user == owner
    assert token.created.isoformat() == "2024-03-01T12:00:00+00:00"
    assert TABLE not in connection.introspection.table_names()
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    assert key not in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations WHERE app = 'authtoken'")
        assert cursor.fetchone() == (0,)


@pytest.mark.django_db(transaction=True)
def test_the_migration_passes_over_a_database_without_the_old_table(owner):
    migrate(("accounts", None))
    migrate(("accounts", "0002_digest_authtoken_keys"))
    migrate_to_latest()
    assert ApiToken.objects.count() == 0
