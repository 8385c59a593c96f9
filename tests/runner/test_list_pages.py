"""The data sets and runs pages carry the API's filters as simple controls,
with empty states that say what matched nothing."""

from __future__ import annotations

import pytest

from runner.services.runs import run_start
from tests.runner.conftest import chain_version_make, dataset_make, linear_doc

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(owner, teammate, media):
    version = chain_version_make(owner=owner, document=linear_doc())
    a = dataset_make(owner=owner, name="alpha")
    b = dataset_make(owner=teammate, name="beta", rows=3)
    run = run_start(chain_version=version, user=owner, dataset=a)
    return {"a": a, "b": b, "run": run}


def test_the_data_sets_page_filters_by_owner_search_and_hash(owner_client, shelf):
    text = owner_client.get("/datasets/?owner=teammate").content.decode()
    assert ">beta</a>" in text
    assert ">alpha</a>" not in text
    sha = shelf["a"].sha256
    text = owner_client.get(f"/datasets/?sha256={sha[:10]}").content.decode()
    assert ">alpha</a>" in text
    assert ">beta</a>" not in text
    text = owner_client.get("/datasets/?search=zzz&owner=owner").content.decode()
    assert "No data sets match search “zzz”, owner “owner”" in text


def test_a_bad_hash_on_the_page_says_why_and_lists_nothing(owner_client, shelf):
    response = owner_client.get("/datasets/?sha256=nothex")
    text = response.content.decode()
    assert response.status_code == 200
    assert "sha256: Give a sha256 or its first 4+ hex digits." in text
    assert ">alpha</a>" not in text
    assert "No data sets match sha256 “nothex”" in text


def test_the_runs_page_filters_by_data_set(owner_client, shelf):
    run = shelf["run"]
    text = owner_client.get(f"/runs/?dataset={shelf['a'].id}").content.decode()
    assert f">#{run.id}</a>" in text
    assert "Runs on data set" in text
    text = owner_client.get(f"/runs/?dataset={shelf['b'].id}").content.decode()
    assert f">#{run.id}</a>" not in text
    assert f"No runs match dataset “{shelf['b'].id}”" in text


@pytest.mark.parametrize("query", ["dataset=abc", "user=%00", "chain=a%00"])
def test_a_bad_run_filter_on_the_page_is_not_a_500(owner_client, shelf, query):
    response = owner_client.get(f"/runs/?{query}")
    assert response.status_code == 200
    assert f">#{shelf['run'].id}</a>" not in response.content.decode()
    assert "errorlist" in response.content.decode()


def test_the_data_set_page_shows_its_hash_and_links_its_runs(owner_client, shelf):
    a = shelf["a"]
    text = owner_client.get(f"/datasets/{a.id}/").content.decode()
    assert a.sha256 in text
    assert f"/runs/?dataset={a.id}" in text
