"""POST /api/chains/<name>/predict: the live chain's answer, in-process, bounded."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from sklearn.linear_model import LinearRegression

from builder import services as chain_services
from catena.reference import synthetic_sales
from registry.models import RegisteredModel
from registry.resolver import model_cache
from registry.services.aliases import alias_set
from runner.models import Artifact, Run
from serving.plans import plans
from tests.serving.conftest import chain_make, model_doc, model_upload

pytestmark = pytest.mark.django_db

URL = "/api/chains/sales-stacked/predict"
SHOP = "/api/chains/shop/predict"


def sales_rows(n: int, seed: int = 3) -> list[dict[str, Any]]:
    data, _ = synthetic_sales(n, seed=seed)
    return data.to_dict("records")


def linear(a: float, b: float) -> LinearRegression:
    """prediction = a*x + b*y, fitted exactly on a few points."""
    x = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "y": [1.0, 0.0, 5.0, 2.0]})
    return LinearRegression().fit(x, a * x.x + b * x.y)


def test_predict_answers_each_row_in_order_with_the_versions_that_ran(api, sales):
    rows = sales_rows(7)
    response = api.post(URL, {"rows": rows}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["chain"] == "sales-stacked"
    assert body["version"] == 1
    assert len(body["rows"]) == 7
    names = {m["node"]: (m["name"], m["version"]) for m in body["models"]}
    assert names["stack"] == ("sales-stacker", 1)
    assert set(names) == {"encode", "scale", "ridge", "forest", "boost", "stack"}
    assert all(len(m["sha256"]) == 64 for m in body["models"])
    # Rows keep their order: each row alone gives the same answer.
    for i in (0, 4):
        one = api.post(URL, {"rows": [rows[i]]}, format="json").json()
        assert one["rows"][0] == pytest.approx(body["rows"][i], abs=1e-9)
    # The same rows as columns give the same answer.
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    by_columns = api.post(URL, {"columns": columns}, format="json").json()
    assert by_columns["rows"] == body["rows"]
    # ?outputs= adds the named nodes' rows.
    debug = api.post(URL + "?outputs=ridge,scale", {"rows": rows}, format="json")
    assert list(debug.json()["outputs"]) == ["ridge", "scale"]
    assert len(debug.json()["outputs"]["ridge"]) == 7
    assert debug.json()["rows"] == body["rows"]


def test_outputs_naming_no_node_is_a_400_naming_it(api, shop):
    response = api.post(SHOP + "?outputs=nope", {"rows": [GOOD]}, format="json")
    assert response.status_code == 400
    assert "'nope'" in response.json()["message"]
    assert response.json()["extra"]["fields"]["outputs"] == ["No node 'nope'."]


def test_a_warm_prediction_only_reads_the_database(api, owner, staff, media):
    v1 = model_upload(name="lin", estimator=linear(1, 0), owner=owner, staff=staff)
    alias_set(model=v1.model, alias="production", number=1, user=owner)
    chain_make(name="lin-chain", document=model_doc("lin"), user=owner)
    url, rows = "/api/chains/lin-chain/predict", [{"x": 1.0, "y": 2.0}]
    api.post(url, {"rows": rows}, format="json")
    with CaptureQueriesContext(connection) as queries:
        response = api.post(url, {"rows": rows}, format="json")
    assert response.status_code == 200
    sql = [q["sql"].lstrip().split()[0].upper() for q in queries.captured_queries]
    assert set(sql) == {"SELECT"}, sql
    assert Run.objects.count() == 0
    assert Artifact.objects.count() == 0


def test_an_alias_move_switches_the_next_answer(api, owner, staff, media):
    v1 = model_upload(name="lin", estimator=linear(1, 0), owner=owner, staff=staff)
    v2 = model_upload(name="lin", estimator=linear(0, 1), owner=owner, staff=staff)
    model = RegisteredModel.objects.get(name="lin")
    alias_set(model=model, alias="production", number=v1.number, user=owner)
    chain_make(name="lin-chain", document=model_doc("lin"), user=owner)
    url = "/api/chains/lin-chain/predict"
    row = {"rows": [{"x": 2.0, "y": 7.0}]}
    first = api.post(url, row, format="json").json()
    assert first["rows"][0]["prediction"] == pytest.approx(2.0)
    assert first["models"][0]["version"] == 1
    alias_set(model=model, alias="production", number=v2.number, user=owner)
    second = api.post(url, row, format="json").json()
    assert second["rows"][0]["prediction"] == pytest.approx(7.0)
    assert second["models"][0]["version"] == 2


def test_a_new_latest_version_switches_a_latest_reference(api, owner, staff, media):
    model_upload(name="lin", estimator=linear(1, 0), owner=owner, staff=staff)
    chain_make(name="lin-chain", document=model_doc("lin", "@latest"), user=owner)
    url = "/api/chains/lin-chain/predict"
    row = {"rows": [{"x": 2.0, "y": 7.0}]}
    assert api.post(url, row, format="json").json()["models"][0]["version"] == 1
    model_upload(name="lin", estimator=linear(0, 1), owner=owner, staff=staff)
    second = api.post(url, row, format="json").json()
    assert second["models"][0]["version"] == 2
    assert second["rows"][0]["prediction"] == pytest.approx(7.0)


def test_a_new_live_version_answers_the_next_request(api, owner, staff, media):
    model_upload(name="lin", estimator=linear(1, 0), owner=owner, staff=staff)
    chain = chain_make(name="lin-chain", document=model_doc("lin", 1), user=owner)
    url = "/api/chains/lin-chain/predict"
    row = {"rows": [{"x": 1, "y": 2}]}
    assert api.post(url, row, format="json").json()["version"] == 1
    doc = model_doc("lin", 1)
    doc["nodes"][2]["params"] = {"columns": ["prediction"]}
    chain_services.chain_version_save(chain=chain, document=doc, user=owner)
    chain_services.chain_live_set(chain=chain, number=2, user=owner)
    body = api.post(url, row, format="json").json()
    assert body["version"] == 2
    assert body["rows"] == [{"prediction": pytest.approx(1.0)}]


def test_a_pinned_version_predicts_even_when_another_is_live(api, shop, owner):
    doc = shop.live_version.document
    doc["nodes"][2]["params"] = {}
    chain_services.chain_version_save(chain=shop, document=doc, user=owner)
    chain_services.chain_live_set(chain=shop, number=2, user=owner)
    response = api.post(
        "/api/chains/shop/versions/1/predict", {"rows": [GOOD]}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {
        "chain": "shop",
        "version": 1,
        "variant": "pinned",
        "models": [],
        "rows": [{"revenue": 2.0}],
    }
    live = api.post(SHOP, {"rows": [GOOD]}, format="json").json()
    assert live["version"] == 2
    assert list(live["rows"][0]) == [
        "temperature",
        "price",
        "shape",
        "color",
        "promo",
        "revenue",
    ]


GOOD = {"temperature": 20.0, "price": 2.0, "shape": "a", "color": "red", "promo": 1}
BAD_ROWS = [
    ({"price": None}, "price", "missing in row 0"),
    ({"temperature": "hot"}, "temperature", "expected float, got text"),
    ({"promo": 1.5}, "promo", "expected int, got number"),
    ({"shape": None}, "shape", "only float columns take null"),
    ({"shape": ["x"]}, "shape", "expected str, got list"),
    ({"color": {"a": 1}}, "color", "expected str, got object"),
    ({"promo": 2**70}, "promo", "does not fit in 64 bits"),
]


@pytest.mark.parametrize(("change", "column", "says"), BAD_ROWS)
def test_rows_that_do_not_fit_answer_400_naming_the_column(
    api, shop, change, column, says
):
    row = {k: v for k, v in (GOOD | change).items() if v is not None or k != "price"}
    response = api.post(SHOP, {"rows": [GOOD, row]}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert column in body["message"]
    assert says.replace("row 0", "row 1") in body["extra"]["columns"][column]
    assert Run.objects.count() == 0
    assert Artifact.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"rows": []},
        {"rows": [1, 2]},
        {"rows": "x"},
        {"columns": {"price": [1.0]}},
        {"columns": {k: [v] for k, v in GOOD.items()} | {"price": [1.0, 2.0]}},
        {"rows": [GOOD], "columns": {}},
        {},
    ],
)
def test_malformed_bodies_answer_400(api, shop, body):
    response = api.post(SHOP, body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["message"]


def test_more_rows_than_the_limit_answer_413(api, shop, settings):
    settings.CATENA_SERVE_MAX_ROWS = 3
    assert api.post(SHOP, {"rows": [GOOD] * 3}, format="json").status_code == 200
    response = api.post(SHOP, {"rows": [GOOD] * 4}, format="json")
    assert response.status_code == 413
    assert response.json()["extra"] == {"limit": "rows", "max": 3, "got": 4}
    columns = {k: [v] * 4 for k, v in GOOD.items()}
    assert api.post(SHOP, {"columns": columns}, format="json").status_code == 413


def test_a_chain_with_no_live_version_answers_404_saying_how(api, shop, owner):
    chain_services.chain_live_set(chain=shop, number=None, user=owner)
    response = api.post(SHOP, {"rows": [GOOD]}, format="json")
    assert response.status_code == 404
    assert "no live version" in response.json()["message"]
    missing = api.post("/api/chains/nope/predict", {"rows": [GOOD]}, format="json")
    assert missing.status_code == 404
    version = api.post(
        "/api/chains/shop/versions/9/predict", {"rows": [GOOD]}, format="json"
    )
    assert version.status_code == 404


def test_a_model_that_fails_answers_422_naming_the_node(api, owner, staff, media):
    from tests.runner.estimators import Broken

    model_upload(name="broken", estimator=Broken(["x", "y"]), owner=owner, staff=staff)
    chain_make(name="breaks", document=model_doc("broken", 1), user=owner)
    response = api.post(
        "/api/chains/breaks/predict", {"rows": [{"x": 1.0, "y": 2.0}]}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["extra"] == {"node": "m"}
    assert "refuses these rows" in response.json()["message"]


def test_predict_needs_a_login_or_token(client, shop):
    response = client.post(SHOP, {"rows": [GOOD]}, content_type="application/json")
    assert response.status_code == 401


def test_nan_and_infinity_in_an_answer_are_null(api, owner, media):
    doc = model_doc("unused")
    ratio = [{"op": "arith", "name": "r", "expr": "x / y"}]
    doc["nodes"][1] = {"id": "m", "kind": "transform", "params": {"ops": ratio}}
    chain_make(name="ratio", document=doc, user=owner)
    response = api.post(
        "/api/chains/ratio/predict",
        {"rows": [{"x": 1.0, "y": 0.0}, {"x": 0.0, "y": 0.0}, {"x": None, "y": 2.0}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert [r["r"] for r in response.json()["rows"]] == [None, None, None]
    assert response.json()["rows"][2]["x"] is None


def test_the_chain_page_shows_where_the_live_chain_is_served(owner_client, shop, owner):
    page = owner_client.get("/chains/shop/").content.decode()
    assert "POST /api/chains/shop/predict" in page
    assert "POST /v2/models/shop/infer" in page
    chain_services.chain_live_set(chain=shop, number=None, user=owner)
    page = owner_client.get("/chains/shop/").content.decode()
    assert "not served: make a version live" in page


def test_a_model_file_gone_from_storage_answers_409_not_500(api, owner, staff, media):
    version = model_upload(name="lin", estimator=linear(1, 0), owner=owner, staff=staff)
    chain_make(name="lin-chain", document=model_doc("lin", 1), user=owner)
    plans.clear()  # nothing was prepared yet (no commit, no request); be sure
    model_cache.clear()
    version.file.storage.delete(version.file.name)
    response = api.post(
        "/api/chains/lin-chain/predict", {"rows": [{"x": 1.0, "y": 1.0}]}, format="json"
    )
    assert response.status_code == 409
    assert "could not be loaded (FileNotFoundError)" in response.json()["message"]
    assert str(media) not in response.json()["message"]
