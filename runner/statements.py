"""Running a written-out statement: its rows, its count, model instances from values.

The runner's hot path is plain SQL (``runner.claims.sql``, ``runner.store.sql``):
the ORM spends ~0.25 ms building each statement and the database ~0.05 ms
running it, and a node takes about ten of them. Statements are valid on SQLite
3.35+ and PostgreSQL; values go through the model fields' own conversion for
the database in use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


def db_value(model: type[models.Model], name: str, value: Any) -> Any:
    """``value`` as the database takes it for the field ``name`` of ``model``."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field.get_db_prep_value(value, connection)


def rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def count(sql: str, params: Sequence[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def count_each(sql: str, params: Sequence[Sequence[Any]]) -> int:
    """``sql`` run once for each of ``params`` (one round trip: PostgreSQL's
    driver pipelines them); how many rows changed in all."""
    if not params:
        return 0
    with connection.cursor() as cursor:
        if len(params) == 1:
            cursor.execute(sql, params[0])
        else:
            cursor.executemany(sql, params)
        return int(cursor.rowcount)


def instance(model: type[M], values: dict[str, Any]) -> M:
    """A model instance with these field values, the others deferred (loaded on use)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[n] for n in names])
