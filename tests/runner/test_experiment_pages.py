"""The experiment pages: start from the run page, the variant table, history."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from sklearn import metrics as skm

from runner.models import Experiment, Promotion, Run
from runner.services.datasets import dataset_create_from_frame
from runner.services.evaluation import run_evaluate
from runner.services.experiments import experiment_start
from runner.services.runs import run_start
from runner.store import artifact_load
from tests.runner.conftest import chain_version_make, dataset_make, fan_doc

pytestmark = pytest.mark.django_db


def stored(run: Run, node_id: str) -> pd.DataFrame:
    result = run.nodes.select_related("artifact").get(node_id=node_id)
    return artifact_load(artifact=result.artifact)


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


# Charts and the outputs side by side ---------------------------------------------
#: Which way each regression metric improves, said here, not read from catena.
SMALLER_IS_BETTER = {"mae": True, "rmse": True, "r2": False}
#: Not given best first: "same" (the plain mean) is the best of the three here.
THREE = [
    {"label": "near", **WEIGHTED},
    {
        "label": "far",
        "params": {"method": "weighted_mean", "weights": {"a": 1, "b": 4}},
    },
    {"label": "same"},
]


@pytest.fixture
def labelled(owner, drain) -> Run:
    """in -> (a = 2x, b = y + 1) -> both -> out on a data set with target t = 3x."""
    frame = pd.DataFrame(
        {
            "x": [float(i) for i in range(8)],
            "y": [1.0, 2.0, 0.0, 1.0, 3.0, 1.0, 0.0, 2.0],
            "t": [float(3 * i) for i in range(8)],
        }
    )
    dataset = dataset_create_from_frame(name="xyt", df=frame, owner=owner, target="t")
    version = chain_version_make(owner=owner, document=fan_doc())
    run = run_start(chain_version=version, user=owner, dataset=dataset)
    drain()
    return run


def scored_experiment(owner, base: Run, drain) -> Experiment:
    experiment = experiment_start(
        user=owner, base_run=base, node_id="both", variants=THREE
    )
    drain()
    for variant in experiment.variants.all():
        run_evaluate(run_id=variant.run_id)
    return experiment


def charts(page: str) -> dict[str, list[tuple[int, float]]]:
    """Each chart's bars as (variant position, value), in the page's order."""
    found = {}
    for metric, body in re.findall(
        r'<figure class="chart metric-chart" data-metric="([^"]+)">(.*?)</figure>',
        page,
        re.S,
    ):
        bars = re.findall(r'data-variant="(\d+)" data-value="([^"]+)"', body)
        found[metric] = [(int(p), float(v)) for p, v in bars]
    return found


def test_a_labelled_experiment_shows_a_bar_chart_per_metric_best_first(
    owner_client, owner, labelled, drain
):
    experiment = scored_experiment(owner, labelled, drain)
    page = owner_client.get(f"/experiments/{experiment.id}/").content.decode()
    shown = charts(page)
    assert set(shown) == {"mae", "rmse", "r2"}

    t = artifact_load(artifact=labelled.input)["t"]
    expected = {}
    for variant in experiment.variants.order_by("position"):
        predicted = stored(variant.run, "out")["m"]
        expected[variant.position] = {
            "mae": skm.mean_absolute_error(t, predicted),
            "rmse": skm.root_mean_squared_error(t, predicted),
            "r2": skm.r2_score(t, predicted),
        }
    for metric, bars in shown.items():
        best_first = sorted(
            expected,
            key=lambda p: expected[p][metric],
            reverse=not SMALLER_IS_BETTER[metric],
        )
        assert [p for p, _ in bars] == best_first, metric
        assert best_first != sorted(best_first), "the order given must not be best"
        for position, value in bars:
            assert value == pytest.approx(expected[position][metric])
    # Labelled and readable without the picture.
    assert "R² by variant, higher is better, best first</title>" in page
    assert "MAE by variant, lower is better, best first</title>" in page
    assert 'role="img" aria-labelledby="metric-1-title metric-1-desc"' in page
    assert "Name a target column" not in page
    # The table's metric columns sort best first: R² from high to low.
    by_r2 = owner_client.get(f"/experiments/{experiment.id}/?sort=metric:r2")
    text = by_r2.content.decode()
    assert 'href="?sort=-metric%3Ar2" aria-sort="descending"' in text
    table = re.search(r'<table class="variants".*?</table>', text, re.S).group(0)
    order = [int(p) for p in re.findall(r'<tr data-variant="(\d+)"', table)]
    assert order == [p for p, _ in shown["r2"]]


def test_the_outputs_side_by_side_match_each_variants_stored_output(
    owner_client, owner, labelled, drain
):
    experiment = scored_experiment(owner, labelled, drain)
    page = owner_client.get(f"/experiments/{experiment.id}/").content.decode()
    table = re.search(r'<table id="sample".*?</table>', page, re.S).group(0)
    heads = re.findall(r'data-variant="(\d+)" data-column="([^"]+)"', table)
    assert heads == [("0", "m"), ("1", "m"), ("2", "m")]
    rows = re.findall(r'<tr data-row="([^"]+)">(.*?)</tr>', table, re.S)
    assert len(rows) == 5
    outputs = [
        stored(v.run, "out")["m"] for v in experiment.variants.order_by("position")
    ]
    source = labelled.input
    frame = artifact_load(artifact=source)
    for row_id, cells in rows:
        index = int(row_id)
        values = re.findall(r'<td data-cell="value">([^<]+)</td>', cells)
        assert [float(v) for v in values] == [o.loc[index] for o in outputs]
        target = re.search(r'<td data-cell="target">([^<]+)</td>', cells).group(1)
        assert float(target) == frame.loc[index, "t"]
    assert [int(r) for r, _ in rows] == list(frame.index[:5])
    assert 'of node <span class="mono">out</span> (the chain\'s output)' in page


def test_without_a_target_the_page_says_how_to_get_charts(
    owner_client, owner, base, drain
):
    experiment = experiment_start(
        user=owner, base_run=base, node_id="both", variants=THREE
    )
    drain()
    page = owner_client.get(f"/experiments/{experiment.id}/").content.decode()
    assert "Name a target column on the data set to compare variants by metrics" in (
        page
    )
    assert 'class="chart metric-chart"' not in page
    # The outputs are side by side all the same, without a target column.
    assert 'data-variant="2" data-column="m"' in page
    assert 'data-cell="target"' not in page


def test_the_page_asks_the_same_number_of_queries_for_more_variants(
    owner_client, owner, labelled, drain
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(variants: list[dict]) -> int:
        experiment = experiment_start(
            user=owner, base_run=labelled, node_id="both", variants=variants
        )
        drain()
        for variant in experiment.variants.all():
            run_evaluate(run_id=variant.run_id)
        with CaptureQueriesContext(connection) as captured:
            page = owner_client.get(f"/experiments/{experiment.id}/")
        assert page.status_code == 200
        return len(captured)

    assert queries(THREE[:1]) == queries(THREE * 4)
