"""A chain version's plan (models resolved, graph checked, chain steps expanded)
is kept by each process while the database's count of registry and chain
changes stands still; any committed write to what it is made from, however
made, moves the count, and the next submission makes the plan again. Inside a
transaction nothing is kept."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from builder.models import Chain, ChainVersion
from registry.models import Alias, ModelVersion, RegisteredModel, RemoteEndpoint
from registry.services import alias_set
from runner.models import Run
from runner.services import plans
from runner.services.runs import run_start
from tests.runner.test_submit_reuse import (
    model_make,
    scored,
    submit,
    times,
    version_add,
)

# Committed writes, as in production: a plan is kept only outside a
# transaction, and PostgreSQL counts a change when it commits.
pytestmark = pytest.mark.django_db(transaction=True)

ROWS = [{"x": 1.0}, {"x": 2.0}]


def scored_version() -> ChainVersion:
    return ChainVersion.objects.get(chain__name="scored")


def resolved(run: Run) -> list[Any]:
    run.refresh_from_db()
    return list(run.resolved["m"][:2])


def test_a_second_submission_of_a_chain_version_reads_no_model_nor_chain(owner, staff):
    model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    scored(owner, "@latest")
    version = scored_version()
    run_start(chain_version=version, user=owner, rows=ROWS)
    with CaptureQueriesContext(connection) as captured:
        again = run_start(chain_version=version, user=owner, rows=ROWS)
    read = " ".join(q["sql"] for q in captured.captured_queries)
    assert "runner_resolving_generation" in read
    for table in ("registry_", "builder_"):
        assert table not in read
    assert resolved(again) == ["lin", 1]


def test_an_alias_moved_behind_the_orms_back_is_followed_by_the_next_submission(
    owner, staff
):
    first = model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    second = version_add(first, times(5.0), owner, staff)
    alias_set(model=first.model, alias="live", number=1, user=staff)
    scored(owner, "@live")
    before = run_start(chain_version=scored_version(), user=owner, rows=ROWS)
    # A queryset's update() sends no signal; the database's triggers count it.
    Alias.objects.filter(model=first.model, name="live").update(version=second)
    moved = run_start(chain_version=scored_version(), user=owner, rows=ROWS)
    assert (resolved(before), resolved(moved)) == (["lin", 1], ["lin", 2])


def test_a_version_no_longer_trusted_is_refused_by_the_next_submission(owner, staff):
    first = model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    scored(owner, "@latest")
    run_start(chain_version=scored_version(), user=owner, rows=ROWS)
    ModelVersion.objects.filter(id=first.id).update(trusted=False)
    with pytest.raises(Exception, match="trust"):
        run_start(chain_version=scored_version(), user=owner, rows=ROWS)


@pytest.mark.parametrize(
    "table",
    [RegisteredModel, ModelVersion, Alias, RemoteEndpoint, Chain, ChainVersion],
    ids=lambda model: model._meta.db_table,
)
def test_every_write_to_what_a_plan_is_made_from_moves_the_count(owner, staff, table):
    first = model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    alias_set(model=first.model, alias="live", number=1, user=staff)
    scored(owner, "@live")
    RemoteEndpoint.objects.create(
        version=first,
        url="http://127.0.0.1:9/",
        protocol="v2",
        signature_source="declared",
    )
    before = plans.generation()
    # A raw UPDATE that changes no value still counts.
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table._meta.db_table} SET id = id")
    assert plans.generation() > before


def test_a_second_post_reads_neither_the_chain_nor_the_registry(api, owner, staff):
    model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    scored(owner, "@latest")
    assert submit(api)["version"] == 1
    with CaptureQueriesContext(connection) as captured:
        again = submit(api)
    read = " ".join(q["sql"] for q in captured.captured_queries)
    for table in ("registry_", "builder_"):
        assert table not in read
    assert again["version"] == 1
    # A new version saved is picked by the very next submission.
    scored(owner, "@latest")
    assert submit(api)["version"] == 2


def test_inside_a_transaction_each_submission_makes_its_plan(owner, staff):
    from django.db import transaction

    model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    scored(owner, "@latest")
    version = scored_version()
    with transaction.atomic():
        run_start(chain_version=version, user=owner, rows=ROWS)
        with CaptureQueriesContext(connection) as captured:
            run_start(chain_version=version, user=owner, rows=ROWS)
    read = " ".join(q["sql"] for q in captured.captured_queries)
    assert "registry_modelversion" in read
    assert "runner_resolving_generation" not in read


def test_the_count_moves_when_a_change_commits_and_is_not_held_before(owner, staff):
    import threading

    from django.db import transaction

    first = model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    second = version_add(first, times(5.0), owner, staff)
    alias_set(model=first.model, alias="live", number=1, user=staff)
    before = plans.generation()
    seen: list[Any] = []

    def look() -> None:
        # Another connection, as another process would have.
        try:
            seen.append(plans.generation())
            if connection.vendor == "postgresql":
                # Nobody holds the count's row while the change is under way:
                # PostgreSQL counts it only as it commits.
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT value FROM runner_resolving_generation "
                        "WHERE id = 1 FOR UPDATE NOWAIT"
                    )
                    seen.append("free")
        finally:
            connection.close()

    with transaction.atomic():
        Alias.objects.filter(model=first.model, name="live").update(version=second)
        other = threading.Thread(target=look)
        other.start()
        other.join()
    assert seen[0] == before
    if connection.vendor == "postgresql":
        assert seen[1:] == ["free"]
    assert plans.generation() > before
