"""Labelled evaluation: a run on a data set with a target column gets metrics."""

from __future__ import annotations

import math
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.linear_model import LinearRegression, LogisticRegression

from runner import sending
from runner.models import Artifact, Dataset, Run
from runner.services.datasets import dataset_create_from_frame
from runner.services.evaluation import run_evaluate
from runner.services.runs import run_start
from tests.runner.conftest import chain_version_make, doc, model_make, node

pytestmark = pytest.mark.django_db

RNG = np.random.default_rng(11)


def labelled(owner, rows: int = 60) -> tuple[Dataset, pd.DataFrame]:
    x = RNG.normal(0.0, 1.0, rows)
    frame = pd.DataFrame(
        {"x": x, "y": 3.0 * x + RNG.normal(0.0, 0.5, rows), "k": (x > 0).astype(int)}
    )
    dataset = dataset_create_from_frame(
        name="labelled", df=frame, owner=owner, target="y"
    )
    return dataset, frame


def model_doc(model: str, method: str = "predict") -> dict:
    return doc(
        [
            node("in", "input", schema=[["x", "float"]]),
            node("m", "model", model=model, version="@latest", method=method),
            node("out", "output"),
        ],
        [["in", "m"], ["m", "out"]],
    )


@pytest.fixture
def evaluations():
    with mock.patch.object(
        sending, "evaluate_on_commit", autospec=True
    ) as evaluate_on_commit:
        yield evaluate_on_commit


def test_a_run_on_a_labelled_data_set_is_scored_after_its_last_node(
    owner, staff, drain, evaluations
):
    dataset, frame = labelled(owner)
    regression = LinearRegression().fit(frame[["x"]], frame["y"])
    model_make(name="lin", estimator=regression, owner=owner, staff=staff)
    version = chain_version_make(owner=owner, document=model_doc("lin"))
    run = run_start(chain_version=version, user=owner, dataset=dataset)
    assert run.target == "y"
    assert run.evaluation == {"status": "pending"}
    drain()
    evaluations.assert_called_once_with(run.id)
    found = run_evaluate(run_id=run.id)
    run.refresh_from_db()
    assert run.evaluation == found
    predicted = regression.predict(frame[["x"]])
    expected = {
        "mae": skm.mean_absolute_error(frame["y"], predicted),
        "rmse": math.sqrt(skm.mean_squared_error(frame["y"], predicted)),
        "r2": skm.r2_score(frame["y"], predicted),
    }
    assert found["status"] == "done"
    assert found["task"] == "regression"
    assert [(n["node"], n["output"], n["rows"]) for n in found["nodes"]] == [
        ("m", False, 60),
        ("out", True, 60),
    ]
    for scored in found["nodes"]:
        assert scored["metrics"] == pytest.approx(expected, rel=1e-9)
    assert found["chart"]["kind"] == "scatter"
    assert found["chart"]["node"] == "out"
    assert len(found["chart"]["points"]) == 60


def test_a_classifier_probabilities_get_log_loss_and_auc(
    owner, staff, drain, evaluations
):
    dataset, frame = labelled(owner)
    classifier = LogisticRegression().fit(frame[["x"]], frame["k"])
    model_make(name="logit", estimator=classifier, owner=owner, staff=staff)
    version = chain_version_make(
        owner=owner, document=model_doc("logit", "predict_proba")
    )
    Dataset.objects.filter(id=dataset.id).update(target="k")
    dataset.refresh_from_db()
    run = run_start(chain_version=version, user=owner, dataset=dataset)
    drain()
    found = run_evaluate(run_id=run.id)
    proba = classifier.predict_proba(frame[["x"]])
    metrics = found["nodes"][0]["metrics"]
    assert found["task"] == "classification"
    assert metrics["accuracy"] == skm.accuracy_score(frame["k"], proba.argmax(1))
    assert metrics["roc_auc"] == pytest.approx(
        skm.roc_auc_score(frame["k"], proba[:, 1])
    )
    assert metrics["log_loss"] == pytest.approx(skm.log_loss(frame["k"], proba))
    assert found["chart"]["kind"] == "confusion"
    assert found["chart"]["labels"] == ["0", "1"]
    assert sum(map(sum, found["chart"]["matrix"])) == 60


def test_a_run_on_an_unlabelled_data_set_is_not_scored(
    owner, staff, drain, evaluations
):
    dataset, frame = labelled(owner)
    Dataset.objects.filter(id=dataset.id).update(target="")
    dataset.refresh_from_db()
    model_make(
        name="lin",
        estimator=LinearRegression().fit(frame[["x"]], frame["y"]),
        owner=owner,
        staff=staff,
    )
    version = chain_version_make(owner=owner, document=model_doc("lin"))
    run = run_start(chain_version=version, user=owner, dataset=dataset)
    drain()
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
    evaluations.assert_not_called()
    assert run.evaluation == {}


def leaky_doc() -> dict:
    """The input declares the target y, and the model takes it as a feature."""
    return doc(
        [
            node("in", "input", schema=[["x", "float"], ["y", "float"]]),
            node("m", "model", model="leaky", version="@latest"),
            node("out", "output"),
        ],
        [["in", "m"], ["m", "out"]],
    )


def test_a_model_taking_the_target_as_a_feature_is_warned_in_editor_and_run(
    owner, staff, api, drain, evaluations
):
    dataset, frame = labelled(owner)
    model_make(
        name="leaky",
        estimator=LinearRegression().fit(frame[["x", "y"]], frame["k"]),
        owner=owner,
        staff=staff,
    )
    response = api.post(
        "/api/validate", {"document": leaky_doc(), "target": "y"}, format="json"
    )
    assert response.status_code == 200
    found = [p for p in response.json()["problems"] if p["code"] == "target_as_feature"]
    assert [(p["node"], p["severity"], p["data"]) for p in found] == [
        (
            "m",
            "warning",
            {
                "model": "leaky",
                "version": 1,
                "feature": "y",
                "column": "y",
                "target": "y",
            },
        )
    ]
    quiet = api.post("/api/validate", {"document": leaky_doc()}, format="json")
    assert [p["code"] for p in quiet.json()["problems"]] == []
    version = chain_version_make(owner=owner, document=leaky_doc())
    run = run_start(chain_version=version, user=owner, dataset=dataset)
    note = run.nodes.get(node_id="m").note
    assert "Warning:" in note
    assert "'y'" in note


def test_the_target_column_is_set_and_checked_through_the_api(owner, api):
    dataset, _ = labelled(owner)
    url = f"/api/datasets/{dataset.id}/target"
    response = api.put(url, {"target": "k"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"id": dataset.id, "name": "labelled", "target": "k"}
    for hostile in ("nope", "x" * 201, 7, None, ["y"]):
        response = api.put(url, {"target": hostile}, format="json")
        assert response.status_code == 400, hostile
        dataset.refresh_from_db()
        assert dataset.target == "k"
    assert api.put(url, {"target": ""}, format="json").status_code == 200
    dataset.refresh_from_db()
    assert dataset.target == ""


def test_only_the_owner_may_change_a_target(owner, teammate_api):
    dataset, _ = labelled(owner)
    url = f"/api/datasets/{dataset.id}/target"
    response = teammate_api.put(url, {"target": "k"}, format="json")
    assert response.status_code == 403
    dataset.refresh_from_db()
    assert dataset.target == "y"


def test_an_upload_naming_a_missing_target_column_is_refused_and_stores_nothing(api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = Dataset.objects.count()
    upload = SimpleUploadedFile("t.csv", b"x,y\n1,2\n3,4\n")
    response = api.post(
        "/api/datasets/", {"file": upload, "target": "sales"}, format="multipart"
    )
    assert response.status_code == 400
    assert "target" in response.json()["extra"]["fields"]
    assert Dataset.objects.count() == before
    upload = SimpleUploadedFile("t.csv", b"x,y\n1,2\n3,4\n")
    response = api.post(
        "/api/datasets/", {"file": upload, "target": "y"}, format="multipart"
    )
    assert response.status_code == 201
    assert response.json()["target"] == "y"


def test_the_run_api_and_page_show_the_metrics(
    owner, staff, api, owner_client, drain, evaluations
):
    dataset, frame = labelled(owner)
    model_make(
        name="lin",
        estimator=LinearRegression().fit(frame[["x"]], frame["y"]),
        owner=owner,
        staff=staff,
    )
    version = chain_version_make(owner=owner, document=model_doc("lin"))
    run = run_start(chain_version=version, user=owner, dataset=dataset)
    body = api.get(f"/api/runs/{run.id}/").json()
    assert body["evaluation"]["status"] == "pending"
    assert "Scoring" not in owner_client.get(run.get_absolute_url()).content.decode()
    drain()
    assert (
        "Scoring the outputs"
        in owner_client.get(run.get_absolute_url()).content.decode()
    )
    found = run_evaluate(run_id=run.id)
    body = api.get(f"/api/runs/{run.id}/").json()
    assert body["evaluation"]["nodes"] == found["nodes"]
    page = owner_client.get(run.get_absolute_url()).content.decode()
    assert 'id="metrics-table"' in page
    assert 'data-metrics-node="out"' in page
    assert 'data-chart="scatter"' in page


def test_the_data_set_page_sets_the_target_and_refuses_an_unknown_column(
    owner, owner_client
):
    dataset, _ = labelled(owner)
    url = f"/datasets/{dataset.id}/target/"
    response = owner_client.post(url, {"target": "k"}, follow=True)
    assert "Target column &#x27;k&#x27;" in response.content.decode()
    dataset.refresh_from_db()
    assert dataset.target == "k"
    response = owner_client.post(url, {"target": "nope"}, follow=True)
    assert "no column &#x27;nope&#x27;" in response.content.decode()
    dataset.refresh_from_db()
    assert dataset.target == "k"


def test_the_upload_form_refuses_a_missing_target_and_stores_nothing(owner_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = (Dataset.objects.count(), Artifact.objects.count())
    upload = SimpleUploadedFile("t.csv", b"x,y\n1,2\n3,4\n")
    response = owner_client.post("/datasets/", {"file": upload, "target": "sales"})
    assert response.status_code == 400
    assert "no column &#x27;sales&#x27;" in response.content.decode()
    assert (Dataset.objects.count(), Artifact.objects.count()) == before


def test_a_prediction_named_like_the_target_is_scored_but_the_target_passed_on_is_not(
    owner, staff, drain, evaluations
):
    dataset, frame = labelled(owner)
    model_make(
        name="lin",
        estimator=LinearRegression().fit(frame[["x"]], frame["y"]),
        owner=owner,
        staff=staff,
    )
    document = doc(
        [
            node("in", "input", schema=[["x", "float"], ["y", "float"]]),
            node("m", "model", model="lin"),
            node("c", "combine", method="mean", name="y"),
            node("t", "transform", ops=[{"op": "select", "columns": ["y"]}]),
            node("out", "output"),
        ],
        [["in", "m"], ["m", "c"], ["c", "out"], ["in", "t"]],
    )
    version = chain_version_make(owner=owner, document=document)
    run = run_start(chain_version=version, user=owner, dataset=dataset)
    drain()
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
    found = run_evaluate(run_id=run.id)
    assert [n["node"] for n in found["nodes"]] == ["m", "c", "out"]
    assert found["nodes"][1]["metrics"]["r2"] < 1.0


def test_an_identical_rerun_on_a_labelled_data_set_is_scored_too(
    owner, staff, drain, evaluations
):
    dataset, frame = labelled(owner)
    regression = LinearRegression().fit(frame[["x"]], frame["y"])
    model_make(name="lin", estimator=regression, owner=owner, staff=staff)
    version = chain_version_make(owner=owner, document=model_doc("lin"))
    first = run_start(chain_version=version, user=owner, dataset=dataset)
    drain()
    again = run_start(chain_version=version, user=owner, dataset=dataset)
    again.refresh_from_db()
    assert again.status == Run.Status.SUCCEEDED
    assert set(again.nodes.values_list("status", flat=True)) == {"reused"}
    assert [c.args for c in evaluations.call_args_list] == [(first.id,), (again.id,)]
    assert run_evaluate(run_id=again.id) == run_evaluate(run_id=first.id)
