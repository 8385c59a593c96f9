"""Pages: run history (constant queries), run page, compare, the run-start form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from builder.runs_summary import runs_summary
from runner.models import Artifact, Dataset, NodeResult, Run
from runner.services.runs import run_start
from tests.runner.conftest import (
    chain_version_make,
    dataset_make,
    linear_doc,
    model_make,
)
from tests.runner.estimators import Broken

pytestmark = pytest.mark.django_db


def runs_make(version, user, count: int) -> None:
    """Many finished runs, written directly: the list's cost is what is measured."""
    run = run_start(chain_version=version, user=user, rows=[{"x": 1, "y": 2}])
    now = timezone.now()
    clones = [
        Run(
            chain_version=version,
            started_by=user,
            input=run.input,
            input_rows=1,
            status=Run.Status.SUCCEEDED,
            deadline=now,
            finished_at=now + timedelta(seconds=i),
        )
        for i in range(count - 1)
    ]
    Run.objects.bulk_create(clones)
    NodeResult.objects.bulk_create(
        NodeResult(run=r, node_id=n, kind="x", cache_key="k", status="succeeded")
        for r in Run.objects.exclude(id=run.id)
        for n in ("in", "out")
    )


@pytest.mark.parametrize("count", [20, 200])
def test_the_run_history_costs_a_constant_number_of_queries(
    owner_client, owner, count, django_assert_max_num_queries, drain
):
    version = chain_version_make(owner=owner, document=linear_doc())
    runs_make(version, owner, count)
    with django_assert_max_num_queries(8):
        page = owner_client.get("/runs/?chain=chain&status=succeeded&page=2")
    assert page.status_code == 200
    with django_assert_max_num_queries(8):
        assert owner_client.get("/api/runs/?limit=50").json()["count"] == count


def test_the_run_history_filters_and_shows_who_and_how_long(
    owner_client, owner, teammate, drain
):
    version = chain_version_make(owner=owner, document=linear_doc(), name="adder")
    run_start(chain_version=version, user=owner, rows=[{"x": 1, "y": 2}])
    drain()
    run_start(chain_version=version, user=teammate, rows=[{"x": 3, "y": 2}])
    mine = owner_client.get("/runs/?user=owner").content.decode()
    assert mine.count('<td><a href="/runs/') == 1
    assert "3/3" in mine
    assert " ms</td>" in mine or " s</td>" in mine
    queued = owner_client.get("/runs/?status=queued").content.decode()
    assert "teammate" in queued
    assert "No runs match" in owner_client.get("/runs/?chain=zzz").content.decode()


def test_the_run_page_shows_each_nodes_output_reuse_and_model(
    owner_client, owner, drain
):
    version = chain_version_make(owner=owner, document=linear_doc())
    dataset = dataset_make(owner=owner)
    first = run_start(chain_version=version, user=owner, dataset=dataset)
    drain()
    second = run_start(chain_version=version, user=owner, dataset=dataset)
    page = owner_client.get(f"/runs/{second.id}/").content.decode()
    assert 'data-node="plus"' in page
    assert "st-reused" in page
    assert f'from <a href="/runs/{first.id}/">run #{first.id}</a>' in page
    assert "Distribution of s" in page
    assert f"/api/runs/{second.id}/nodes/out/output?format=csv" in page
    assert f"/api/runs/{second.id}/status" in page
    assert "3 of 3" in page


def test_the_run_page_shows_a_failed_nodes_error_and_traceback(
    owner_client, owner, staff, drain
):
    model_make(name="broken", estimator=Broken(["x", "y"]), owner=owner, staff=staff)
    document = linear_doc()
    document["nodes"][1] = {
        "id": "plus",
        "kind": "model",
        "params": {"model": "broken"},
    }
    run = run_start(
        chain_version=chain_version_make(owner=owner, document=document),
        user=owner,
        rows=[{"x": 1, "y": 2}],
    )
    drain()
    page = owner_client.get(f"/runs/{run.id}/").content.decode()
    assert "the broken model refuses these rows" in page
    assert "Traceback" in page
    assert '<a href="/models/broken/versions/1/">broken v1</a>' in page
    assert "Retry failed nodes" in page


def test_compare_says_which_outputs_differ_and_by_how_much(owner_client, owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    a = run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    b = run_start(chain_version=version, user=owner, rows=[{"x": 1.5, "y": 2.0}])
    drain()
    page = owner_client.get(f"/runs/compare?a={a.id}&b={b.id}").content.decode()
    assert "different" in page
    assert "max |Δ| 0.500000" in page
    same = owner_client.get(f"/runs/compare?a={a.id}&b={a.id}").content.decode()
    assert same.count("<td>same</td>") == 3
    assert owner_client.get("/runs/compare?a=x").status_code == 404


def test_comparing_runs_of_two_chains_is_refused_with_a_message(
    owner_client, owner, drain
):
    rows = [{"x": 1.0, "y": 2.0}]
    a = run_start(
        chain_version=chain_version_make(owner=owner, document=linear_doc()),
        user=owner,
        rows=rows,
    )
    other = chain_version_make(owner=owner, document=linear_doc(), name="other")
    b = run_start(chain_version=other, user=owner, rows=rows)
    drain()
    response = owner_client.get(f"/runs/compare?a={a.id}&b={b.id}", follow=True)
    assert response.redirect_chain == [(f"/runs/{a.id}/", 302)]
    page = response.content.decode()
    assert "Only runs of one chain can be compared" in page
    assert "&#x27;other&#x27;" in page


def test_the_run_start_form_starts_a_run_and_shows_errors(owner_client, owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc(), name="adder")
    dataset = dataset_make(owner=owner)
    request = RequestFactory().get("/chains/adder/")
    request.user = owner
    form = render_to_string(
        "runner/_run_start_form.html",
        {"chain": version.chain, "version": version},
        request=request,
    )
    assert 'action="/runs/start"' in form
    assert f'<option value="{dataset.id}">xy</option>' in form
    response = owner_client.post(
        "/runs/start", {"chain": "adder", "dataset": dataset.id}
    )
    run = Run.objects.get()
    assert response["Location"] == f"/runs/{run.id}/"
    bad = owner_client.post(
        "/runs/start",
        {"chain": "adder", "rows": "[nope"},
        HTTP_REFERER="/chains/adder/",
    )
    assert bad["Location"] == "/chains/adder/"
    assert Run.objects.count() == 1
    missing = owner_client.post("/runs/start", {"chain": "adder"}, follow=True)
    assert "The run did not start" in missing.content.decode()
    assert Run.objects.count() == 1


def test_the_chain_page_offers_the_run_button_for_the_shown_version(
    owner_client, owner
):
    version = chain_version_make(owner=owner, document=linear_doc(), name="adder")
    dataset_make(owner=owner)
    html = owner_client.get("/chains/adder/").content.decode()
    assert 'action="/runs/start"' in html
    assert f">Run v{version.number}</button>" in html


def test_the_run_form_offers_data_sets_that_fit_the_chain_first(owner_client, owner):
    chain_version_make(owner=owner, document=linear_doc(), name="adder")
    dataset_make(owner=owner, name="fits")
    iris = Artifact.objects.create(
        key="f" * 64, path="x.parquet", schema=[["petal", "float"]]
    )
    # Newer, so it would come first if fit did not count.
    Dataset.objects.create(name="other", owner=owner, artifact=iris, format="csv")
    html = owner_client.get("/chains/adder/").content.decode()
    assert html.index(">fits</option>") < html.index(">other</option>")


def test_cancel_retry_and_forget_buttons_work_from_the_page(owner_client, owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1, "y": 2}])
    owner_client.post(f"/runs/{run.id}/cancel")
    assert Run.objects.get(id=run.id).status == Run.Status.CANCELLED
    owner_client.post(f"/runs/{run.id}/retry")
    drain()
    assert Run.objects.get(id=run.id).status == Run.Status.SUCCEEDED
    page = owner_client.post(f"/runs/{run.id}/nodes/plus/forget", follow=True)
    assert "Forgot 2 stored output(s)" in page.content.decode()


def test_builder_learns_each_chains_last_run(owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    run_start(chain_version=version, user=owner, rows=[{"x": 1, "y": 2}])
    last = run_start(chain_version=version, user=owner, rows=[{"x": 2, "y": 2}])
    assert runs_summary([version.chain_id]) == {
        version.chain_id: {"status": "queued", "url": f"/runs/{last.id}/"}
    }
