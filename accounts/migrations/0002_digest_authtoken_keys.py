"""Move DRF authtoken keys into ApiToken as digests, then drop the plaintext.

``rest_framework.authtoken`` is no longer installed, so its table is read with
plain SQL when it exists (databases made before this migration). Each old key
keeps working: its sha256 is what HashedTokenAuthentication looks up.
"""

import hashlib
from datetime import datetime
from datetime import timezone as dt_timezone

from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime

AUTHTOKEN_TABLE = "authtoken_token"


def digest_authtoken_keys(apps, schema_editor):
    connection = schema_editor.connection
    if AUTHTOKEN_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    quoted = schema_editor.quote_name(AUTHTOKEN_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {quoted}")
        rows = cursor.fetchall()
    ApiToken.objects.bulk_create(
        ApiToken(
            user_id=user_id,
            name="from the old token table",
            prefix=key[:8],
            digest=hashlib.sha256(key.encode()).hexdigest(),
            created=_aware(created),
        )
        for key, user_id, created in rows
    )
    schema_editor.execute(f"DROP TABLE {quoted}")
    # Forget authtoken's migrations too, so a reinstall would create its table.
    schema_editor.execute(
        "DELETE FROM django_migrations WHERE app = %s", params=["authtoken"]
    )


def _aware(value):
    """Raw SQL gives SQLite's datetimes as naive text."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if not isinstance(value, datetime):
        return timezone.now()
    if timezone.is_naive(value):
        return timezone.make_aware(value, dt_timezone.utc)
    return value


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.RunPython(digest_authtoken_keys, migrations.RunPython.noop),
    ]
