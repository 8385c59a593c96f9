"""A run's clock starts when the request arrives; the submission's own share
(validation, keys, rows) is recorded and shown apart from queueing and running."""

from __future__ import annotations

from datetime import datetime
from unittest import mock

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from runner.models import Run
from runner.services import plans
from runner.services import runs as run_services
from tests.runner.conftest import chain_version_make, linear_doc

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(owner):
    return chain_version_make(owner=owner, document=linear_doc(), name="adder")


@pytest.fixture
def validated_at():
    """When validation ran, recorded by the real check (only observed)."""
    seen: list[datetime] = []
    check = plans.check

    def observed(*args, **kwargs):
        seen.append(timezone.now())
        return check(*args, **kwargs)

    with mock.patch.object(plans, "check", side_effect=observed):
        yield seen


def when(value: str) -> datetime:
    parsed = parse_datetime(value)
    assert parsed is not None
    return parsed


def test_the_clock_starts_before_validation_and_submit_is_the_gap(
    api, version, drain, validated_at
):
    response = api.post(
        "/api/runs/", {"chain": "adder", "rows": [{"x": 1, "y": 2}]}, format="json"
    )
    assert response.status_code == 201
    drain()
    body = api.get(f"/api/runs/{response.json()['id']}/").json()
    received, created = when(body["received_at"]), when(body["created"])
    started, finished = when(body["started_at"]), when(body["finished_at"])
    assert received < validated_at[0] < created <= started <= finished
    assert body["submit_seconds"] > 0
    assert body["submit_seconds"] == (created - received).total_seconds()
    assert body["queued_seconds"] == (started - created).total_seconds()
    assert body["ran_seconds"] == (finished - started).total_seconds()
    assert body["seconds"] == (finished - received).total_seconds()


def test_the_status_elapsed_counts_from_the_request(api, version, drain):
    response = api.post(
        "/api/runs/", {"chain": "adder", "rows": [{"x": 1, "y": 2}]}, format="json"
    )
    drain()
    run = Run.objects.get(id=response.json()["id"])
    status = api.get(f"/api/runs/{run.id}/status").json()
    expected = round((run.finished_at - run.received_at).total_seconds(), 3)
    assert status["elapsed"] == expected
    assert run.received_at < run.created


def test_the_run_form_starts_the_clock_on_arrival(
    owner_client, version, media, validated_at
):
    response = owner_client.post(
        "/runs/start", {"chain": "adder", "rows": '[{"x": 1, "y": 2}]'}
    )
    assert response.status_code == 302
    run = Run.objects.get()
    assert run.received_at < validated_at[0] < run.created
    assert run.submit_seconds == (run.created - run.received_at).total_seconds()


def test_the_run_page_shows_submitted_queued_and_ran(owner_client, api, version, drain):
    response = api.post(
        "/api/runs/", {"chain": "adder", "rows": [{"x": 1, "y": 2}]}, format="json"
    )
    run_id = response.json()["id"]
    waiting = owner_client.get(f"/runs/{run_id}/").content.decode()
    assert "submitted in " in waiting
    assert "waiting for a worker" in waiting
    drain()
    page = owner_client.get(f"/runs/{run_id}/").content.decode()
    timing = page.split('id="run-timing">', 1)[1].split("</dd>", 1)[0]
    assert timing.startswith("submitted in ")
    assert ", then queued " in timing
    assert ", ran " in timing


def test_a_run_started_in_code_gets_a_clock_too(owner, version, media):
    run = run_services.run_start(
        chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}]
    )
    run.refresh_from_db()
    assert run.received_at is not None
    assert run.received_at < run.created
    assert run.submit_seconds == (run.created - run.received_at).total_seconds()
