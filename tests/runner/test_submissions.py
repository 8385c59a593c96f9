"""Submitting runs: an Idempotency-Key gives a retry its run back, and JSON rows
are bounded (larger inputs go through a data set)."""

from __future__ import annotations

import threading
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection
from rest_framework.test import APIClient

from runner.models import Artifact, NodeResult, Run
from runner.services import submissions
from tests.runner.conftest import chain_version_make, linear_doc

ROWS = [{"x": 1.0, "y": 2.0}]


@pytest.fixture
def version(owner):
    return chain_version_make(owner=owner, document=linear_doc(), name="adder")


def post(client: APIClient, body: dict, key: str | None = None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post("/api/runs/", body, format="json", headers=headers)


def stored_files(media: Path) -> list[Path]:
    return sorted(p for p in media.rglob("*") if p.is_file())


@pytest.mark.django_db
def test_a_retry_with_the_same_key_gets_the_same_run_back(api, version, drain):
    first = post(api, {"chain": "adder", "rows": ROWS}, key="order-17")
    again = post(api, {"chain": "adder", "rows": ROWS, "version": None}, key="order-17")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Run.objects.count() == 1
    assert NodeResult.objects.count() == 3
    assert len(drain.sent) == 1


@pytest.mark.django_db
def test_without_a_key_each_submission_is_a_new_run(api, version, drain):
    post(api, {"chain": "adder", "rows": ROWS})
    post(api, {"chain": "adder", "rows": ROWS})
    assert Run.objects.count() == 2


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused_and_stores_nothing(
    api, version, drain
):
    first = post(api, {"chain": "adder", "rows": ROWS}, key="k1")
    nodes, artifacts = NodeResult.objects.count(), Artifact.objects.count()
    other = post(api, {"chain": "adder", "rows": [{"x": 5.0, "y": 2.0}]}, key="k1")
    assert other.status_code == 422
    assert other.json()["extra"] == {
        "header": "Idempotency-Key",
        "run": first.json()["id"],
    }
    assert "another request" in other.json()["message"]
    assert Run.objects.count() == 1
    assert NodeResult.objects.count() == nodes
    assert Artifact.objects.count() == artifacts


@pytest.mark.django_db
def test_keys_are_kept_per_user(api, teammate_api, version, drain):
    mine = post(api, {"chain": "adder", "rows": ROWS}, key="shared")
    theirs = post(teammate_api, {"chain": "adder", "rows": ROWS}, key="shared")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert Run.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["k" * 256, "caf\u00e9", ""])
def test_a_key_too_long_or_not_printable_ascii_is_refused(api, version, drain, key):
    response = post(api, {"chain": "adder", "rows": ROWS}, key=key)
    if key == "":
        # An empty header is no key at all.
        assert response.status_code == 201
        return
    assert response.status_code == 400
    assert response.json()["extra"]["max"] == 255
    assert "Idempotency-Key" in response.json()["message"]
    assert Run.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_with_one_key_make_one_run(owner, version, drain):
    barrier = threading.Barrier(2)
    answers: list[tuple[int, int]] = []

    def submit() -> None:
        client = APIClient()
        client.force_authenticate(owner)
        barrier.wait()
        try:
            response = post(client, {"chain": "adder", "rows": ROWS}, key="twin")
            answers.append((response.status_code, response.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(code for code, _ in answers) == [200, 201]
    assert len({run_id for _, run_id in answers}) == 1
    assert Run.objects.count() == 1
    assert NodeResult.objects.count() == 3
    assert len(drain.sent) == 1


@pytest.mark.django_db
def test_a_twin_committed_between_the_lookup_and_the_insert_gets_its_run(
    owner, version, drain
):
    """The losing side of the race: the unique constraint, then the winner's run."""
    first = submissions.run_submit(
        user=owner,
        idempotency_key="late",
        request_hash="h",
        chain_version=version,
        rows=ROWS,
    )
    lookup = submissions.run_submitted
    calls: list[str] = []

    def missed_once(**kwargs):
        calls.append(kwargs["idempotency_key"])
        return None if len(calls) == 1 else lookup(**kwargs)

    with mock.patch.object(submissions, "run_submitted", side_effect=missed_once):
        twin = submissions.run_submit(
            user=owner,
            idempotency_key="late",
            request_hash="h",
            chain_version=version,
            rows=ROWS,
        )
    assert twin == submissions.Submission(run=first.run, created=False)
    assert calls == ["late", "late"]
    assert Run.objects.count() == 1
    assert NodeResult.objects.count() == 3


@pytest.mark.django_db
def test_too_many_json_rows_are_refused_naming_the_limit_and_store_nothing(
    api, version, drain, settings, media
):
    settings.CATENA_MAX_ROWS = 10
    before = stored_files(media)
    artifacts = Artifact.objects.count()
    rows = [{"x": float(i), "y": 1.0} for i in range(11)]
    response = post(api, {"chain": "adder", "rows": rows})
    assert response.status_code == 400
    assert response.json()["extra"] == {"limit": "rows", "max": 10, "got": 11}
    assert "at most 10 rows" in response.json()["message"]
    assert "data set" in response.json()["message"]
    assert Run.objects.count() == 0
    assert Artifact.objects.count() == artifacts
    assert stored_files(media) == before
    assert post(api, {"chain": "adder", "rows": rows[:10]}).status_code == 201


@pytest.mark.django_db
def test_a_rows_body_over_its_byte_limit_is_refused_before_parsing(
    api, version, settings
):
    settings.CATENA_MAX_ROWS_BYTES = 1000
    rows = [{"x": float(i), "y": 1.0} for i in range(100)]
    response = post(api, {"chain": "adder", "rows": rows})
    assert response.status_code == 413
    assert response.json()["extra"]["limit"] == "body"
    assert response.json()["extra"]["max"] == 1000
    assert "data set" in response.json()["message"]
    assert Run.objects.count() == 0
