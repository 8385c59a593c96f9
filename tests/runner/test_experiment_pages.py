"""The experiment pages: start from the run page, the variant table, history."""

from __future__ import annotations

import json

import pytest

from runner.models import Experiment, Promotion, Run
from runner.services.experiments import experiment_start
from runner.services.runs import run_start
from tests.runner.conftest import chain_version_make, dataset_make, fan_doc

pytestmark = pytest.mark.django_db
WEIGHTED = {"params": {"method": "weighted_mean", "weights": {"a": 1.0, "b": 3.0}}}


@pytest.fixture
def base(owner, drain) -> Run:
    version = chain_version_make(owner=owner, document=fan_doc())
    run = run_start(
        chain_version=version, user=owner, dataset=dataset_make(owner=owner)
    )
    drain()
    return run


def test_the_run_page_offers_variants_of_each_step_but_not_of_its_ends(
    owner_client, base
):
    page = owner_client.get(f"/runs/{base.id}/").content.decode()
    assert 'aria-label="Variants of both"' in page
    assert 'aria-label="Variants of a"' in page
    assert 'aria-label="Variants of in"' not in page
    assert 'aria-label="Variants of out"' not in page


def test_experiment_node_opens_that_nodes_variants_form_only(owner_client, base):
    page = owner_client.get(f"/runs/{base.id}/?experiment_node=both").content.decode()
    assert page.count('<details class="experiment-form" open>') == 1
    opened = page.index('<details class="experiment-form" open>')
    assert 'aria-label="Variants of both"' in page[opened : opened + 600]
    assert 'id="exp-variants-both" name="variants" rows="4" autofocus' in page
    plain = owner_client.get(f"/runs/{base.id}/").content.decode()
    assert '<details class="experiment-form" open>' not in plain


@pytest.mark.parametrize("node_id", ["out", "in", "nope", "<b>x</b>"])
def test_experiment_node_that_takes_no_variants_is_said_so(owner_client, base, node_id):
    response = owner_client.get(f"/runs/{base.id}/", {"experiment_node": node_id})
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Run #{base.id} has no step" in page
    assert "<b>x</b>" not in page
    assert '<details class="experiment-form" open>' not in page


def test_experiment_node_of_a_node_past_a_partial_run_is_said_so(
    owner_client, owner, base, drain
):
    partial = run_start(
        chain_version=base.chain_version, user=owner, reuse_from=base, until="a"
    )
    drain()
    response = owner_client.get(f"/runs/{partial.id}/?experiment_node=both")
    page = response.content.decode()
    assert f"Run #{partial.id} has no step &#x27;both&#x27;" in page
    ok = owner_client.get(f"/runs/{partial.id}/?experiment_node=a").content.decode()
    assert '<details class="experiment-form" open>' in ok


def test_the_run_page_form_starts_an_experiment_and_opens_its_page(
    owner_client, base, drain
):
    lines = "\n".join([json.dumps(WEIGHTED), "", json.dumps({"label": "same"})])
    body = {"run": base.id, "node": "both", "title": "weights", "variants": lines}
    response = owner_client.post("/experiments/new", body)
    experiment = Experiment.objects.get()
    assert response["Location"] == f"/experiments/{experiment.id}/"
    assert experiment.variants.count() == 2
    drain()
    page = owner_client.get(response["Location"]).content.decode()
    assert "Experiment #" in page
    assert "weights" in page
    assert page.count('data-cell="status">succeeded') == 2
    assert 'title="nodes computed by this variant">2</span>' in page
    assert "No metrics yet" in page


def test_a_bad_line_in_the_form_is_refused_with_its_number(owner_client, base):
    body = {"run": base.id, "node": "both", "variants": '{"params": {}}\nnot json'}
    response = owner_client.post("/experiments/new", body, follow=True)
    assert "Line 2 is not JSON" in response.content.decode()
    assert Experiment.objects.count() == 0


def test_a_refused_variant_is_shown_on_the_run_page(owner_client, base):
    bad = json.dumps({"kind": "model", "params": {"model": "nope"}})
    body = {"run": base.id, "node": "both", "variants": bad}
    response = owner_client.post(
        "/experiments/new", body, follow=True, HTTP_REFERER=f"/runs/{base.id}/"
    )
    assert "The experiment did not start: 1 variant(s) cannot run" in (
        response.content.decode()
    )
    assert Experiment.objects.count() == 0


def test_the_page_promotes_a_variant_as_a_new_version(owner_client, owner, base, drain):
    experiment = experiment_start(
        user=owner, base_run=base, node_id="both", variants=[WEIGHTED]
    )
    drain()
    url = f"/experiments/{experiment.id}/promote"
    response = owner_client.post(url, {"variant": 0, "to": "version"}, follow=True)
    page = response.content.decode()
    assert "Saved as chain v2." in page
    assert "saved as <a" in page
    assert Promotion.objects.get().chain_version.number == 2


def test_the_history_lists_experiments_per_chain_with_pages(owner_client, owner, base):
    experiment_start(user=owner, base_run=base, node_id="both", variants=[{}])
    # Rows alone: the history shows experiments, it does not run them.
    Experiment.objects.bulk_create(
        Experiment(
            chain_version=base.chain_version,
            base_run=base,
            node_id="both",
            created_by=owner,
        )
        for _ in range(25)
    )
    first = owner_client.get("/experiments/?chain=chain").content.decode()
    assert "Page 1 of 2 · 26 experiments" in first
    assert "page=2" in first
    other = owner_client.get("/experiments/?chain=other").content.decode()
    assert "No experiments on other yet" in other


def test_the_experiment_page_sorts_by_the_column_in_its_url(owner_client, owner, base):
    experiment = experiment_start(
        user=owner,
        base_run=base,
        node_id="both",
        variants=[{"label": "zeta"}, {"label": "alpha"}],
    )
    page = owner_client.get(f"/experiments/{experiment.id}/?sort=label").content
    text = page.decode()
    assert text.index("alpha") < text.index("zeta")
    assert 'href="?sort=-label" aria-sort="ascending"' in text


@pytest.mark.parametrize(
    "line",
    ['{"params": [1]}', '{"label": {"a": 1}}', '{"kind": 3}', '{"paramz": {}}'],
)
def test_a_variant_of_the_wrong_shape_from_the_form_is_refused(
    owner_client, base, line
):
    body = {"run": base.id, "node": "both", "variants": line}
    response = owner_client.post("/experiments/new", body, follow=True)
    assert "Variant 1 must be an object" in response.content.decode()
    assert Experiment.objects.count() == 0
