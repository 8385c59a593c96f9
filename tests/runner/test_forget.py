"""Forgetting a stored output shared by the runs of several users."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from config.exceptions import CatenaAppError
from runner.models import Artifact, NodeResult, Run
from runner.services.runs import node_output_forget, run_start
from tests.runner.conftest import chain_version_make, dataset_make, linear_doc

pytestmark = pytest.mark.django_db


def shared_runs(owner, teammate, drain) -> tuple[Run, Run]:
    """Each user runs a chain of their own on equal data: the outputs are shared."""
    mine = chain_version_make(owner=owner, document=linear_doc(), name="mine")
    theirs = chain_version_make(owner=teammate, document=linear_doc(), name="theirs")
    first = run_start(chain_version=mine, user=owner, dataset=dataset_make(owner=owner))
    drain()
    second = run_start(
        chain_version=theirs, user=teammate, dataset=dataset_make(owner=teammate)
    )
    drain()
    assert set(second.nodes.values_list("status", flat=True)) == {"reused"}
    return first, second


def stored() -> dict[str, bool]:
    return {a.key: default_storage.exists(a.path) for a in Artifact.objects.all()}


def test_forgetting_an_output_another_users_run_holds_is_refused_naming_the_run(
    owner, teammate, drain
):
    first, second = shared_runs(owner, teammate, drain)
    before = stored()
    with pytest.raises(CatenaAppError, match=f"run {second.id} by teammate") as info:
        node_output_forget(node_result=first.nodes.get(node_id="plus"), user=owner)
    assert info.value.status_code == 403
    assert info.value.extra == {"runs": [second.id], "reason": "shared"}
    assert stored() == before
    assert all(before.values())
    assert NodeResult.objects.filter(artifact__isnull=True).count() == 0


def test_staff_may_forget_an_output_shared_by_several_users(
    owner, teammate, staff, drain
):
    first, second = shared_runs(owner, teammate, drain)
    keys = node_output_forget(node_result=second.nodes.get(node_id="plus"), user=staff)
    assert len(keys) == 2
    assert second.nodes.get(node_id="plus").artifact is None
    assert first.nodes.get(node_id="out").artifact is None


def test_an_output_held_only_by_the_users_own_runs_may_be_forgotten(owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    dataset = dataset_make(owner=owner)
    for _ in range(2):
        run = run_start(chain_version=version, user=owner, dataset=dataset)
        drain()
    keys = node_output_forget(node_result=run.nodes.get(node_id="plus"), user=owner)
    assert len(keys) == 2


def test_the_forget_api_answers_403_with_the_runs_in_the_way(
    owner, teammate, teammate_api, drain
):
    first, second = shared_runs(owner, teammate, drain)
    before = stored()
    response = teammate_api.post(f"/api/runs/{second.id}/nodes/plus/forget")
    assert response.status_code == 403
    body = response.json()
    assert body["extra"] == {"runs": [first.id], "reason": "shared"}
    assert f"run {first.id} by owner" in body["message"]
    assert stored() == before
