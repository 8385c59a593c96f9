"""Run up to a node now, continue later: the rest runs on the stored outputs."""

from __future__ import annotations

import pytest

from runner.models import NodeResult, Run
from runner.services.runs import run_start
from tests.runner.conftest import chain_version_make, dataset_make, fan_doc

pytestmark = pytest.mark.django_db


def statuses(run: Run) -> dict[str, str]:
    return dict(run.nodes.values_list("node_id", "status"))


@pytest.fixture
def partial(owner, drain) -> Run:
    version = chain_version_make(owner=owner, document=fan_doc())
    run = run_start(
        chain_version=version, user=owner, dataset=dataset_make(owner=owner), until="a"
    )
    drain()
    run.refresh_from_db()
    assert statuses(run) == {"in": "succeeded", "a": "succeeded"}
    return run


def test_continue_runs_the_remaining_nodes_on_the_stored_outputs(api, partial, drain):
    response = api.post(f"/api/runs/{partial.id}/continue")
    assert response.status_code == 201, response.json()
    assert response.json()["continues"] == partial.id
    assert response.json()["until"] == ""
    drain()
    continued = Run.objects.get(id=response.json()["id"])
    assert continued.status == Run.Status.SUCCEEDED
    assert statuses(continued) == {
        "in": "reused",
        "a": "reused",
        "b": "succeeded",
        "both": "succeeded",
        "out": "succeeded",
    }
    assert continued.input_id == partial.input_id


def test_the_run_history_shows_the_pair_as_linked(owner_client, api, partial, drain):
    continued_id = api.post(f"/api/runs/{partial.id}/continue").json()["id"]
    drain()
    history = owner_client.get("/runs/").content.decode()
    assert f'continues <a href="/runs/{partial.id}/">#{partial.id}</a>' in history
    page = owner_client.get(f"/runs/{partial.id}/").content.decode()
    assert f'<a href="/runs/{continued_id}/">run #{continued_id}</a>' in page
    page = owner_client.get(f"/runs/{continued_id}/").content.decode()
    assert f'<a href="/runs/{partial.id}/">run #{partial.id}</a> (up to' in page


def test_a_whole_run_cannot_be_continued_and_nothing_is_stored(api, owner, drain):
    version = chain_version_make(owner=owner, document=fan_doc())
    whole = run_start(
        chain_version=version, user=owner, dataset=dataset_make(owner=owner)
    )
    drain()
    before = (Run.objects.count(), NodeResult.objects.count())
    response = api.post(f"/api/runs/{whole.id}/continue")
    assert response.status_code == 400
    assert "only a run up to a node" in response.json()["message"]
    assert (Run.objects.count(), NodeResult.objects.count()) == before


def test_an_unfinished_run_cannot_be_continued(api, owner, drain):
    version = chain_version_make(owner=owner, document=fan_doc())
    running = run_start(
        chain_version=version, user=owner, dataset=dataset_make(owner=owner), until="a"
    )
    response = api.post(f"/api/runs/{running.id}/continue")
    assert response.status_code == 400
    assert response.json()["extra"]["status"] == "queued"
    assert Run.objects.count() == 1


def test_the_continue_button_on_the_run_page_starts_the_rest(
    owner_client, partial, drain
):
    page = owner_client.get(f"/runs/{partial.id}/").content.decode()
    assert f'action="/runs/{partial.id}/continue"' in page
    response = owner_client.post(f"/runs/{partial.id}/continue")
    continued = Run.objects.get(continues=partial)
    assert response.status_code == 302
    assert response["Location"] == f"/runs/{continued.id}/"


def test_run_up_to_here_on_the_run_page_runs_only_the_nodes_it_needs(
    owner_client, partial, drain
):
    page = owner_client.get(f"/runs/{partial.id}/").content.decode()
    assert 'name="until" value="a"' in page
    body = {"chain": "chain", "version": 1, "reuse_from": partial.id, "until": "b"}
    owner_client.post("/runs/start", body)
    drain()
    run = Run.objects.get(until="b")
    assert statuses(run) == {"in": "reused", "b": "succeeded"}


def test_the_chain_page_offers_run_up_to_here_on_each_node(owner_client, owner):
    chain_version_make(owner=owner, document=fan_doc())
    page = owner_client.get("/chains/chain/").content.decode()
    assert "Run up to here" in page
    for node_id in ("in", "a", "b", "both"):
        assert f'<option value="{node_id}">' in page
    assert '<option value="out">' not in page
