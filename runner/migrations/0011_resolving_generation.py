"""A count of changes to what a submission resolves (models, versions, aliases,
endpoints, chains and their versions), kept by the database's own triggers, so a
process may keep a chain version's checked plan while the count stands still
(``runner.services.plans``). Triggers see every write, a queryset's ``update()``
and a raw statement included, which Django's signals do not.

The count moves in the writing transaction, so it commits (or rolls back) with
the change. On PostgreSQL the triggers are deferred to the commit: the count's
row is locked only while a transaction commits, never while it does slow work
(an upload's inspection) nor in an order that could deadlock with row locks
taken before. SQLite runs one writer at a time anyway: its triggers count at once.
A later migration that rebuilds one of these tables on SQLite (Django remakes a
table to alter it) drops its triggers with it: the test that writes each table
and expects the count to move (tests/runner/test_submit_plans.py) then fails.
"""

from django.db import migrations

TABLE = "runner_resolving_generation"
WATCHED = (
    "registry_registeredmodel",
    "registry_modelversion",
    "registry_alias",
    "registry_remoteendpoint",
    "builder_chain",
    "builder_chainversion",
)
BUMP = f"UPDATE {TABLE} SET value = value + 1 WHERE id = 1"
FUNCTION = "runner_resolving_generation_bump"


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    run = schema_editor.execute
    run(f"CREATE TABLE {TABLE} (id integer PRIMARY KEY, value bigint NOT NULL)")
    run(f"INSERT INTO {TABLE} (id, value) VALUES (1, 0)")
    if vendor == "postgresql":
        run(
            f"CREATE FUNCTION {FUNCTION}() RETURNS trigger AS $$ "
            f"BEGIN {BUMP}; RETURN NULL; END; $$ LANGUAGE plpgsql"
        )
        for table in WATCHED:
            run(
                f"CREATE CONSTRAINT TRIGGER {table}_generation "
                f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                f"EXECUTE FUNCTION {FUNCTION}()"
            )
            run(
                f"CREATE TRIGGER {table}_generation_truncate AFTER TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            )
    elif vendor == "sqlite":
        for table in WATCHED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                run(
                    f"CREATE TRIGGER {table}_generation_{event.lower()} AFTER {event} "
                    f"ON {table} BEGIN {BUMP}; END"
                )
    else:  # pragma: no cover - the settings allow these two only
        raise RuntimeError(f"no triggers written for {vendor}")


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    run = schema_editor.execute
    for table in WATCHED:
        if vendor == "postgresql":
            run(f"DROP TRIGGER IF EXISTS {table}_generation ON {table}")
            run(f"DROP TRIGGER IF EXISTS {table}_generation_truncate ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                run(f"DROP TRIGGER IF EXISTS {table}_generation_{event}")
    if vendor == "postgresql":
        run(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    run(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("runner", "0010_node_result_load_seconds"),
        ("registry", "0005_trained_on"),
        ("builder", "0002_team_owner"),
    ]

    operations = [migrations.RunPython(create, drop)]
