"""Submitting through the API: a moved alias or a new model version is followed
by the very next submission; an identical rerun is done within its request, with
the fresh run's outputs and every state the run page and API show."""

from __future__ import annotations

import io
import os
import pickle
from typing import Any
from unittest import mock

import pandas as pd
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from sklearn.linear_model import LinearRegression

from builder.models import Chain, ChainVersion
from catena.keys import data_hash
from registry.models import ModelVersion
from registry.services import alias_set, model_version_create, model_version_trust
from runner.models import Artifact, NodeResult, Run
from runner.services import datasets
from runner.services.datasets import rows_key, rows_write, table_from_rows
from runner.store import artifact_load, artifact_record, recent_tables
from tests.runner.conftest import chain_version_make, doc, model_make, node

pytestmark = pytest.mark.django_db

ROWS = [{"x": 1.0}, {"x": 2.0}]


def times(factor: float) -> LinearRegression:
    """A fitted y = factor * x."""
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    return LinearRegression().fit(frame, frame["x"] * factor)


def version_add(first: ModelVersion, estimator: Any, owner: Any, staff: Any) -> Any:
    upload = SimpleUploadedFile("m.pkl", pickle.dumps(estimator))
    added = model_version_create(model=first.model, file=upload, uploaded_by=owner)
    return model_version_trust(version=added, user=staff)


def scored(owner: Any, reference: str) -> None:
    """Chain ``scored``: in(x) -> m (model lin at ``reference``) -> out."""
    document = doc(
        [
            node("in", "input", schema=[["x", "float"]]),
            node("m", "model", model="lin", version=reference, method="predict"),
            node("out", "output"),
        ],
        [["in", "m"], ["m", "out"]],
    )
    chain_version_make(owner=owner, document=document, name="scored")


def submit(api: Any, rows: list[dict[str, Any]] = ROWS) -> dict[str, Any]:
    response = api.post("/api/runs/", {"chain": "scored", "rows": rows}, format="json")
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def predicted(api: Any, run_id: int) -> list[float]:
    answer = api.get(f"/api/runs/{run_id}/nodes/m/output?format=parquet")
    assert answer.status_code == 200
    frame = pd.read_parquet(io.BytesIO(b"".join(answer.streaming_content)))
    return [round(v, 9) for v in frame.iloc[:, -1]]


def statuses(api: Any, run_id: int) -> dict[str, str]:
    nodes = api.get(f"/api/runs/{run_id}/").json()["nodes"]
    return {n["node_id"]: n["status"] for n in nodes}


def test_a_moved_alias_is_followed_by_the_next_submission(api, owner, staff, drain):
    first = model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    version_add(first, times(5.0), owner, staff)
    alias_set(model=first.model, alias="live", number=1, user=staff)
    scored(owner, "@live")
    before = submit(api)
    drain()
    rerun = submit(api)  # every node reused: whatever is kept is now warm
    assert rerun["status"] == "succeeded"
    alias_set(model=first.model, alias="live", number=2, user=staff)
    moved = submit(api)
    assert drain() == 2  # m and out computed again, on version 2
    assert Run.objects.get(id=moved["id"]).resolved["m"][:2] == ["lin", 2]
    assert statuses(api, moved["id"])["m"] == "succeeded"
    assert predicted(api, before["id"]) == [2.0, 4.0]
    assert predicted(api, moved["id"]) == [5.0, 10.0]


def test_a_new_model_version_is_run_by_the_next_latest_submission(
    api, owner, staff, drain
):
    first = model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    scored(owner, "@latest")
    submit(api)
    drain()
    assert submit(api)["status"] == "succeeded"
    version_add(first, times(3.0), owner, staff)
    newer = submit(api)
    drain()
    assert Run.objects.get(id=newer["id"]).resolved["m"][:2] == ["lin", 2]
    assert predicted(api, newer["id"]) == [3.0, 6.0]


def test_an_identical_rerun_is_done_in_its_request_with_the_fresh_runs_outputs(
    api, owner, staff, drain, client
):
    model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    scored(owner, "@latest")
    fresh = submit(api)
    drain()
    rerun = submit(api)
    assert rerun["status"] == "succeeded"
    assert drain() == 0  # nothing was queued
    assert api.get(f"/api/runs/{rerun['id']}/status").json()["active"] is False
    assert predicted(api, rerun["id"]) == predicted(api, fresh["id"]) == [2.0, 4.0]
    nodes = api.get(f"/api/runs/{rerun['id']}/").json()["nodes"]
    assert {n["status"] for n in nodes} == {"reused"}
    assert {n["reused_from"] for n in nodes} == {fresh["id"]}
    assert {n["seconds"] for n in nodes} == {0.0}
    assert all(n["finished_at"] for n in nodes)
    client.force_login(owner)
    page = client.get(f"/runs/{rerun['id']}/").content.decode()
    assert page.count("st-reused") >= len(nodes)


def test_an_identical_rerun_keeps_its_stored_input_file(api, owner, staff, drain):
    model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    scored(owner, "@latest")
    fresh = submit(api)
    drain()
    source = Run.objects.get(id=fresh["id"]).input
    written = os.stat(default_storage.path(source.path))
    rerun = submit(api)
    assert Run.objects.get(id=rerun["id"]).input_id == source.id
    kept = os.stat(default_storage.path(source.path))
    assert (kept.st_ino, kept.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)


def test_a_rerun_whose_input_file_is_gone_stores_it_again(api, owner, staff, drain):
    model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    scored(owner, "@latest")
    fresh = submit(api)
    drain()
    source = Run.objects.get(id=fresh["id"]).input
    default_storage.delete(source.path)
    again = submit(api, [{"x": 1.0}, {"x": 2.0}])
    assert Run.objects.get(id=again["id"]).input_id == source.id
    assert default_storage.exists(source.path)
    drain()
    assert predicted(api, again["id"]) == [2.0, 4.0]


def test_posted_rows_and_their_run_are_recorded_together_or_not_at_all(
    api, owner, staff, monkeypatch
):
    model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    scored(owner, "@latest")
    before = Artifact.objects.count()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("the database went away mid-submission")

    monkeypatch.setattr(NodeResult.objects, "bulk_create", broken)
    with pytest.raises(DatabaseError):
        api.post("/api/runs/", {"chain": "scored", "rows": ROWS}, format="json")
    assert (Run.objects.count(), Artifact.objects.count()) == (0, before)
    monkeypatch.undo()
    fresh = submit(api)
    assert Run.objects.get(id=fresh["id"]).input.rows == 2


def test_a_submission_of_fresh_rows_reads_each_kind_of_row_once(
    api, owner, staff, django_assert_max_num_queries
):
    model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    scored(owner, "@latest")
    submit(api)
    # The chain version, the model versions, the stored keys; the input, the
    # run and its nodes written, the first node queued as it is inserted; a
    # savepoint around them (a transaction outside tests). Rows never stored
    # have no earlier outputs to look for; the run is not read back, nor
    # updated after its insert.
    with django_assert_max_num_queries(8):
        submit(api, [{"x": 5.0}, {"x": 6.0}])


def test_a_submission_is_answered_with_the_run_as_it_was_written(
    api, owner, staff, drain, django_assert_max_num_queries
):
    model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    scored(owner, "@latest")
    fresh = submit(api)
    drain()
    # An identical rerun is done in its request: its answer says so, with the
    # end recorded, and is what reading the run gives. The chain version, the
    # model versions, the stored keys; the run written ended, and its nodes;
    # a savepoint around them. Nothing read back.
    with django_assert_max_num_queries(7):
        again = submit(api)
    assert again["status"] == "succeeded"
    assert again["finished_at"] is not None
    assert again["seconds"] >= 0
    for answer in (fresh, again):
        stored = api.get(f"/api/runs/{answer['id']}/").json()
        stored.pop("nodes")
        if answer is fresh:
            # Its worker has run it since it was answered queued.
            assert answer["status"] == "queued"
            assert stored["status"] == "succeeded"
            for changed in ("status", "started_at", "finished_at", "seconds"):
                stored.pop(changed), answer.pop(changed)
            for changed in ("queued_seconds", "ran_seconds"):
                assert answer.pop(changed) is None
                assert stored.pop(changed) >= 0
        assert answer == stored


@pytest.mark.parametrize("reference", ["@live", "@latest"])
def test_a_submission_reads_no_model_text_nor_stored_table_summary(
    api, owner, staff, reference
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    alias_set(model=first.model, alias="live", number=1, user=staff)
    scored(owner, reference)
    submit(api)
    with CaptureQueriesContext(connection) as captured:
        submit(api)
    read = " ".join(q["sql"] for q in captured.captured_queries)
    assert '"registry_alias"' in read or reference == "@latest"
    for table, column in [
        ("registry_modelversion", "metrics"),
        ("registry_modelversion", "notes"),
        ("registry_registeredmodel", "description"),
        ("runner_artifact", "preview"),
        ("runner_artifact", "stats"),
    ]:
        assert f'"{table}"."{column}"' not in read


@pytest.mark.parametrize("damage", ["deleted", "truncated"])
def test_a_run_whose_input_file_is_lost_before_it_runs_fails_saying_so(
    api, owner, staff, drain, damage
):
    model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    scored(owner, "@latest")
    fresh = submit(api)
    path = default_storage.path(Run.objects.get(id=fresh["id"]).input.path)
    recent_tables.clear()  # the table the request wrote, read from its file
    if damage == "deleted":
        os.remove(path)
    else:
        with open(path, "r+b") as handle:
            handle.truncate(20)
    drain()
    run = Run.objects.get(id=fresh["id"])
    error = run.nodes.get(node_id="in").error
    assert run.status == Run.Status.FAILED
    assert "the run's input file is gone or unreadable" in error
    assert "post the rows again" in error


def test_posted_rows_kept_by_their_json_hash_as_the_table_they_make():
    variants = [
        [{"x": 1.0, "y": 2.0}],
        [{"y": 2.0, "x": 1.0}],  # another column order: another table
        [{"x": 1, "y": 2}],  # integers: another table
        [{"x": 1.0, "y": None}],
    ]
    for rows in variants + variants:  # the second time from what was kept
        df = table_from_rows(rows=rows)
        assert rows_key(rows=rows) == (data_hash(df), list(df.columns))
    assert len({rows_key(rows=rows)[0] for rows in variants}) == len(variants)


def test_fresh_posted_rows_are_built_into_a_table_once_and_stored_as_hashed(media):
    rows = [{"x": 1.5, "region": "north"}, {"x": 2.5, "region": "south"}]
    with mock.patch.object(datasets, "table_from_rows", wraps=table_from_rows) as built:
        key, _ = rows_key(rows=rows)
        stored = artifact_record(key=key, fields=rows_write(rows=rows, key=key))
    assert built.call_count == 1
    recent_tables.clear()  # read the file itself
    pd.testing.assert_frame_equal(
        artifact_load(artifact=stored), table_from_rows(rows=rows)
    )
    assert data_hash(artifact_load(artifact=stored)) == key == stored.key


def test_a_run_without_a_version_runs_the_live_one_else_the_latest(api, owner, staff):
    model_make(name="lin", estimator=times(2.0), owner=owner, staff=staff)
    for _ in range(3):
        scored(owner, "@latest")
    assert submit(api)["version"] == 3
    second = ChainVersion.objects.get(chain__name="scored", number=2)
    Chain.objects.filter(name="scored").update(live_version=second)
    assert submit(api)["version"] == 2
    Chain.objects.create(name="empty", owner=owner)
    empty = api.post("/api/runs/", {"chain": "empty", "rows": ROWS}, format="json")
    assert empty.status_code == 400
    assert "no saved version" in empty.json()["message"]
    unknown = api.post("/api/runs/", {"chain": "nope", "rows": ROWS}, format="json")
    assert unknown.status_code == 404
