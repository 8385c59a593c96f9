"""Experiments: variants of one node on a base run's stored outputs, refusals,
promotion (new chain version, alias moved), permissions, hostile input."""

from __future__ import annotations

import pickle
from typing import Any

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from builder.models import ChainVersion
from config.exceptions import CatenaAppError
from registry.models import Alias, AliasMove
from registry.services import model_version_create, model_version_trust
from runner.experiment_selectors import experiment_summary
from runner.models import Experiment, NodeResult, Promotion, Run, Variant
from runner.services.experiments import experiment_start
from runner.services.runs import run_start
from runner.store import artifact_load
from tests.runner.conftest import (
    chain_version_make,
    dataset_make,
    doc,
    fan_doc,
    model_make,
    node,
)
from tests.runner.estimators import SleepySum

pytestmark = pytest.mark.django_db
Status = NodeResult.Status
WEIGHTED = {"params": {"method": "weighted_mean", "weights": {"a": 1.0, "b": 3.0}}}


def statuses(run: Run) -> dict[str, str]:
    return dict(run.nodes.values_list("node_id", "status"))


def stored(run: Run, node_id: str) -> pd.DataFrame:
    result = run.nodes.select_related("artifact").get(node_id=node_id)
    return artifact_load(artifact=result.artifact)


@pytest.fixture
def base(owner, drain) -> Run:
    """A finished run of in -> (a, b) -> both (mean) -> out on five rows."""
    version = chain_version_make(owner=owner, document=fan_doc())
    run = run_start(
        chain_version=version, user=owner, dataset=dataset_make(owner=owner)
    )
    drain()
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
    return run


def counts() -> tuple[int, int, int, int]:
    return (
        Experiment.objects.count(),
        Variant.objects.count(),
        Run.objects.count(),
        NodeResult.objects.count(),
    )


def test_an_experiment_computes_only_the_variant_node_and_its_descendants(
    owner, base, drain
):
    variants = [WEIGHTED, {"params": {"method": "vote"}}, {"label": "same"}]
    experiment = experiment_start(
        user=owner, base_run=base, node_id="both", variants=variants
    )
    ran = drain()
    summary = experiment_summary(experiment=experiment)
    assert [r.status for r in summary.rows] == ["succeeded"] * 3
    # "same" is the base node again: its output is stored too, nothing runs.
    assert [(r.computed, r.reused) for r in summary.rows] == [(2, 3), (2, 3), (0, 5)]
    assert ran == 4
    first = summary.rows[0].variant.run
    assert statuses(first) == {
        "in": "reused",
        "a": "reused",
        "b": "reused",
        "both": "succeeded",
        "out": "succeeded",
    }
    a, b = stored(base, "a")["a"], stored(base, "b")["b"]
    assert stored(first, "both")["m"].tolist() == ((a + 3 * b) / 4).tolist()
    assert first.reused_from_id == base.id
    assert first.chain_version_id == base.chain_version_id


def test_the_variants_are_submitted_together_and_reuse_the_base_runs_outputs(
    owner, base, drain
):
    experiment_start(
        user=owner, base_run=base, node_id="both", variants=[WEIGHTED, WEIGHTED]
    )
    # Nothing upstream is queued: only each variant's own node waits for a worker.
    queued = NodeResult.objects.filter(id__in=drain.queue)
    assert sorted(queued.values_list("node_id", flat=True)) == ["both", "both"]
    drain()
    assert Run.objects.filter(status=Run.Status.SUCCEEDED).count() == 3


def test_a_variant_that_does_not_fit_is_refused_with_its_problems_and_nothing_stored(
    owner, base
):
    before = counts()
    bad = {"kind": "model", "params": {"model": "no-such-model"}}
    with pytest.raises(CatenaAppError) as caught:
        experiment_start(
            user=owner, base_run=base, node_id="both", variants=[WEIGHTED, bad]
        )
    refused = caught.value.extra["variants"]
    assert [v["variant"] for v in refused] == [1]
    assert refused[0]["problems"][0]["node"] == "both"
    assert counts() == before


def test_an_experiment_on_a_node_whose_inputs_are_not_stored_is_refused(owner, drain):
    version = chain_version_make(owner=owner, document=fan_doc())
    partial = run_start(
        chain_version=version, user=owner, dataset=dataset_make(owner=owner), until="a"
    )
    drain()
    before = counts()
    with pytest.raises(CatenaAppError, match="no stored output of b") as caught:
        experiment_start(user=owner, base_run=partial, node_id="both", variants=[{}])
    assert caught.value.extra["missing"] == ["b"]
    assert counts() == before


# The API -------------------------------------------------------------------------
def post(api: Any, body: dict[str, Any]) -> Any:
    return api.post("/api/experiments/", body, format="json")


def test_the_api_starts_an_experiment_and_shows_each_variants_counts(api, base, drain):
    body = {"run": base.id, "node": "both", "title": "weights", "variants": [WEIGHTED]}
    response = post(api, body)
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["node"] == "both"
    assert created["variants"][0]["node"]["params"]["method"] == "weighted_mean"
    drain()
    shown = api.get(f"/api/experiments/{created['id']}/").json()
    row = shown["variants"][0]
    assert (row["status"], row["computed"], row["reused"]) == ("succeeded", 2, 3)
    assert row["metrics"] == {}
    assert row["run_url"] == f"/runs/{row['run']}/"
    assert shown["status"] == "succeeded"
    listed = api.get("/api/experiments/", {"chain": "chain"}).json()
    assert [e["id"] for e in listed["results"]] == [created["id"]]
    assert listed["results"][0]["variant_total"] == 1


def test_the_api_starts_from_a_chain_version_and_a_data_set(api, base, drain):
    body = {
        "chain": "chain",
        "version": 1,
        "dataset": base.dataset_id,
        "node": "both",
        "variants": [WEIGHTED],
    }
    response = post(api, body)
    assert response.status_code == 201, response.json()
    assert response.json()["base_run"] == base.id


def test_fifty_one_variants_are_refused_with_the_limit_and_nothing_stored(api, base):
    before = counts()
    body = {"run": base.id, "node": "both", "variants": [WEIGHTED] * 51}
    response = post(api, body)
    assert response.status_code == 400
    assert "1 to 50 variants" in response.json()["message"]
    assert response.json()["extra"] == {"limit": "variants", "max": 50, "got": 51}
    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"node": "both", "variants": "not a list"}, "variants"),
        ({"node": "both", "variants": [{"params": ["x"]}]}, "variants"),
        ({"node": "both", "variants": [{"kind": "eval"}]}, "variants"),
        ({"node": "x" * 65, "variants": [{}]}, "node"),
        ({"node": "both", "variants": [{}], "run": 2**63}, "run"),
        ({"node": "both", "variants": [{}], "run": "1"}, "run"),
        ({"node": "both", "variants": [{"label": "x" * 201}]}, "variants"),
    ],
)
def test_hostile_bodies_are_refused_with_a_400_and_nothing_stored(
    api, base, body, field
):
    before = counts()
    response = post(api, {"run": base.id, **body})
    assert response.status_code == 400
    assert field in response.json()["extra"]["fields"]
    assert counts() == before


@pytest.mark.parametrize(
    ("node_id", "message"),
    [("nope", "no node 'nope'"), ("in", "input node"), ("out", "output node")],
)
def test_an_unknown_or_end_node_is_refused(api, base, node_id, message):
    before = counts()
    response = post(api, {"run": base.id, "node": node_id, "variants": [{}]})
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert counts() == before


def test_an_unknown_base_run_is_a_404_and_nothing_stored(api, base):
    before = counts()
    response = post(api, {"run": base.id + 1000, "node": "both", "variants": [{}]})
    assert response.status_code == 404
    assert counts() == before


def test_the_detail_sorts_by_a_column_given_in_the_url(api, base, drain):
    variants = [WEIGHTED, {"label": "same"}]
    created = post(api, {"run": base.id, "node": "both", "variants": variants}).json()
    drain()
    url = f"/api/experiments/{created['id']}/"
    ascending = api.get(url, {"sort": "computed"}).json()["variants"]
    descending = api.get(url, {"sort": "-computed"}).json()["variants"]
    assert [v["position"] for v in ascending] == [1, 0]
    assert [v["position"] for v in descending] == [0, 1]


# Promote -------------------------------------------------------------------------
def test_promote_saves_the_variant_as_the_next_chain_version_and_records_it(
    api, base, drain
):
    created = post(api, {"run": base.id, "node": "both", "variants": [WEIGHTED]}).json()
    drain()
    url = f"/api/experiments/{created['id']}/promote"
    response = api.post(url, {"variant": 0, "to": "version"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["chain_version"] == 2
    version = ChainVersion.objects.get(chain__name="chain", number=2)
    assert f"experiment #{created['id']}" in version.message
    both = next(n for n in version.document["nodes"] if n["id"] == "both")
    assert both["params"]["method"] == "weighted_mean"
    promotion = Promotion.objects.get()
    assert (promotion.kind, promotion.chain_version) == ("version", version)
    shown = api.get(f"/api/experiments/{created['id']}/").json()
    assert shown["promotions"][0]["chain_version"] == 2


def test_promote_by_someone_who_may_not_change_the_chain_is_refused(
    api, teammate_api, base, drain
):
    created = post(api, {"run": base.id, "node": "both", "variants": [WEIGHTED]}).json()
    drain()
    url = f"/api/experiments/{created['id']}/promote"
    response = teammate_api.post(url, {"variant": 0, "to": "version"}, format="json")
    assert response.status_code == 403
    assert ChainVersion.objects.count() == 1
    assert Promotion.objects.count() == 0


def test_a_variant_still_running_cannot_be_promoted(api, base):
    created = post(api, {"run": base.id, "node": "both", "variants": [WEIGHTED]}).json()
    url = f"/api/experiments/{created['id']}/promote"
    response = api.post(url, {"variant": 0, "to": "version"}, format="json")
    assert response.status_code == 400
    assert "ran successfully" in response.json()["message"]
    assert Promotion.objects.count() == 0


def test_promote_moves_an_alias_to_the_variants_model_version(api, owner, staff, drain):
    first = model_make(
        name="summer", estimator=SleepySum(["x", "y"], 0.0), owner=owner, staff=staff
    )
    upload = SimpleUploadedFile("s.pkl", pickle.dumps(SleepySum(["x", "y"], 0.001)))
    second = model_version_create(model=first.model, file=upload, uploaded_by=owner)
    model_version_trust(version=second, user=staff)
    document = doc(
        [
            node("in", "input", schema=[["x", "float"], ["y", "float"]]),
            node("m", "model", model="summer", version=1),
            node("out", "output"),
        ],
        [["in", "m"], ["m", "out"]],
    )
    version = chain_version_make(owner=owner, document=document)
    base = run_start(
        chain_version=version, user=owner, dataset=dataset_make(owner=owner)
    )
    drain()
    body = {"run": base.id, "node": "m", "variants": [{"params": {"version": 2}}]}
    created = post(api, body).json()
    drain()
    assert created["variants"][0]["label"] == "model summer 2"
    url = f"/api/experiments/{created['id']}/promote"
    answer = api.post(url, {"variant": 0, "to": "alias", "alias": "production"})
    assert answer.status_code == 201, answer.json()
    assert Alias.objects.get(model=first.model, name="production").version == second
    assert AliasMove.objects.get().to_version == second
    promotion = Promotion.objects.get()
    assert (promotion.model_name, promotion.model_version, promotion.alias) == (
        "summer",
        2,
        "production",
    )


def test_an_anonymous_request_is_refused_and_nothing_stored(base):
    from rest_framework.test import APIClient

    before = counts()
    body = {"run": base.id, "node": "both", "variants": [WEIGHTED]}
    response = APIClient().post("/api/experiments/", body, format="json")
    assert response.status_code in (401, 403)
    assert APIClient().get("/api/experiments/").status_code in (401, 403)
    assert counts() == before


def test_deeply_nested_params_are_refused_before_anything_is_stored(api, base):
    before = counts()
    deep: Any = 1
    for _ in range(200):
        deep = {"x": deep}
    body = {"run": base.id, "node": "both", "variants": [{"params": {"w": deep}}]}
    response = post(api, body)
    assert response.status_code == 400
    assert counts() == before


# Metrics ---------------------------------------------------------------------------
def test_variants_on_a_labelled_data_set_show_the_outputs_metrics_and_sort_by_them(
    api, owner, drain
):
    from runner.services.datasets import dataset_create_from_frame
    from runner.services.evaluation import run_evaluate

    rows = 6
    frame = pd.DataFrame(
        {
            "x": [float(i) for i in range(rows)],
            "y": [1.0] * rows,
            "t": [float(3 * i) for i in range(rows)],
        }
    )
    labelled = dataset_create_from_frame(name="xyt", df=frame, owner=owner, target="t")
    version = chain_version_make(owner=owner, document=fan_doc())
    run = run_start(chain_version=version, user=owner, dataset=labelled)
    drain()
    # "both" is m = mean(2x, y + 1); weighting a (= 2x) by 3 brings it nearer t = 3x.
    variants = [{"label": "same"}, {"label": "near", **WEIGHTED}]
    created = post(api, {"run": run.id, "node": "both", "variants": variants}).json()
    drain()
    for variant in Variant.objects.filter(experiment_id=created["id"]):
        run_evaluate(run_id=variant.run_id)

    url = f"/api/experiments/{created['id']}/"
    found = api.get(url, {"sort": "metric:mae"}).json()["variants"]

    x = frame["x"].to_numpy()
    mean = (2 * x + 2.0) / 2
    weighted = (1.0 * 2 * x + 3.0 * 2.0) / 4
    expected = {
        "same": float(abs(mean - 3 * x).mean()),
        "near": float(abs(weighted - 3 * x).mean()),
    }
    assert [v["label"] for v in found] == sorted(expected, key=expected.get)
    for row in found:
        assert row["metrics"]["mae"] == pytest.approx(expected[row["label"]])
        assert set(row["metrics"]) >= {"mae", "rmse", "r2"}


def test_the_detail_gives_the_outputs_side_by_side_and_a_chart_per_metric(
    api, owner, drain
):
    from runner.services.datasets import dataset_create_from_frame
    from runner.services.evaluation import run_evaluate

    frame = pd.DataFrame(
        {
            "x": [float(i) for i in range(7)],
            "y": [2.0, 1.0, 0.0, 1.0, 2.0, 5.0, 1.0],
            "t": [float(3 * i) for i in range(7)],
        }
    )
    labelled = dataset_create_from_frame(name="xyt", df=frame, owner=owner, target="t")
    version = chain_version_make(owner=owner, document=fan_doc())
    run = run_start(chain_version=version, user=owner, dataset=labelled)
    drain()
    variants = [{"label": "near", **WEIGHTED}, {"label": "same"}]
    created = post(api, {"run": run.id, "node": "both", "variants": variants}).json()
    # "same" reuses every node (it succeeds at once); "near" has not run yet.
    assert [c["variant"] for c in created["sample"]["columns"]] == [1]
    assert created["charts"] == []
    drain()
    for variant in Variant.objects.filter(experiment_id=created["id"]):
        run_evaluate(run_id=variant.run_id)

    shown = api.get(f"/api/experiments/{created['id']}/").json()
    sample = shown["sample"]
    assert (sample["node"], sample["target"]) == ("out", "t")
    assert sample["inputs"] == ["x", "y"]
    assert [(c["variant"], c["label"], c["column"]) for c in sample["columns"]] == [
        (0, "near", "m"),
        (1, "same", "m"),
    ]
    outputs = [
        stored(v.run, "out")["m"]
        for v in Variant.objects.filter(experiment_id=created["id"]).order_by(
            "position"
        )
    ]
    assert [r["id"] for r in sample["rows"]] == [0, 1, 2, 3, 4]
    for row in sample["rows"]:
        i = row["id"]
        assert row["inputs"] == [frame.loc[i, "x"], frame.loc[i, "y"]]
        assert row["target"] == frame.loc[i, "t"]
        assert row["values"] == [o.loc[i] for o in outputs]

    charts = {c["metric"]: c for c in shown["charts"]}
    assert list(charts) == ["mae", "rmse", "r2"]
    metrics = {v["position"]: v["metrics"] for v in shown["variants"]}
    for name, lower in (("mae", True), ("rmse", True), ("r2", False)):
        chart = charts[name]
        assert chart["better"] == ("lower" if lower else "higher")
        order = sorted(metrics, key=lambda p: metrics[p][name], reverse=not lower)
        assert [b["variant"] for b in chart["bars"]] == order
        assert [b["value"] for b in chart["bars"]] == [metrics[p][name] for p in order]
        assert chart["missing"] == []
        assert order == [1, 0], "the best must not be the first given"
    assert charts["r2"]["title"] == "R²"

    # The table sorts by a metric best first too: R² from high to low.
    url = f"/api/experiments/{created['id']}/"
    by_r2 = sorted(metrics, key=lambda p: metrics[p]["r2"], reverse=True)
    best = api.get(url, {"sort": "metric:r2"}).json()["variants"]
    worst = api.get(url, {"sort": "-metric:r2"}).json()["variants"]
    assert [v["position"] for v in best] == by_r2
    assert [v["position"] for v in worst] == by_r2[::-1]
