"""A sweep does not wait on rows another session holds (a worker lost in the
middle of a commit, until the database drops its session): it leaves them to
a later sweep and goes on with the rest."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from runner import claims, sweeper
from runner.models import NodeResult, Run
from runner.services.runs import run_start
from tests.runner.conftest import chain_version_make, linear_doc

Status = NodeResult.Status


@contextmanager
def held_elsewhere(node_result_id: int) -> Iterator[None]:
    """Another session holds the node's row: on PostgreSQL a row lock, on
    SQLite (no row locks) the database's write lock."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        other = sqlite3.connect(db["NAME"], isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
    else:
        other = psycopg.connect(
            dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"],
            host=db["HOST"], port=db["PORT"],
        )  # fmt: skip
        other.execute(
            "SELECT id FROM runner_noderesult WHERE id = %s FOR UPDATE",
            [node_result_id],
        )
    try:
        yield
    finally:
        other.rollback()
        other.close()


def expire(node_result_id: int) -> None:
    NodeResult.objects.filter(id=node_result_id).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )


@pytest.mark.django_db(transaction=True)
def test_a_lost_node_whose_row_another_session_holds_is_requeued_by_a_later_sweep(
    owner, drain
):
    version = chain_version_make(owner=owner, document=linear_doc())
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1, "y": 2}])
    first = drain.queue.pop()
    drain.sent.clear()
    claims.node_claim(first)
    expire(first)

    with held_elsewhere(first):
        swept = sweeper.runs_sweep()
    assert swept["requeued"] == 0
    assert NodeResult.objects.get(id=first).status == Status.RUNNING
    assert drain.sent == []

    assert sweeper.runs_sweep()["requeued"] == 1
    assert drain.sent == [first]
    assert drain() == 3
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_a_sweep_that_gave_up_on_a_lock_leaves_the_connection_as_it_was(owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    run_start(chain_version=version, user=owner, rows=[{"x": 1, "y": 2}])
    first = drain.queue.pop()
    claims.node_claim(first)
    expire(first)
    with held_elsewhere(first):
        sweeper.runs_sweep()
    assert not connection.in_atomic_block
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 30_000
        else:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == "0"
