"""The demo sales chain, built from scratch with the client, run on the live
server, and every node's output compared to the models called directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from catena_client import Catena, Chain

from catena.reference import BASE, INPUT_SCHEMA, fit_reference, synthetic_sales

pytestmark = [pytest.mark.worker, pytest.mark.slow]


@pytest.fixture(scope="module")
def estimators():
    """The demo installer fits these same objects (seed 0) into the registry."""
    return fit_reference(0)


def sales_chain(client: Catena, name: str, df: pd.DataFrame) -> Chain:
    return (
        client.chain(name)
        .input(df)
        .model("sales-encoder", method="transform", id="encode")
        .model("sales-scaler", method="transform", id="scale")
        .fan_out(["sales-ridge", "sales-forest", "sales-boost"])
        .stack("sales-stacker")
        .save(message="built with the client")
    )


def expected_outputs(estimators, df: pd.DataFrame) -> dict[str, np.ndarray]:
    encoded = estimators["encode"].transform(df)
    scaled = estimators["scale"].transform(encoded)
    base = {b: estimators[b].predict(scaled) for b in BASE}
    stacked = estimators["stack"].predict(np.column_stack([base[b] for b in BASE]))
    return {
        "encode": encoded,
        "scale": scaled,
        **{f"sales-{b}": base[b] for b in BASE},
        "stack": stacked,
        "out": stacked,
    }


def assert_every_output_is_direct(run, estimators, df):
    expected = expected_outputs(estimators, df)
    assert sorted(run.outputs) == sorted(["in", *expected])
    assert run.outputs["in"].index.tolist() == list(range(len(df)))
    pd.testing.assert_frame_equal(
        run.outputs["in"].reset_index(drop=True), df.reset_index(drop=True)
    )
    for node, values in expected.items():
        got = run.outputs[node]
        assert got.index.tolist() == list(range(len(df))), node
        np.testing.assert_allclose(
            got.to_numpy(dtype=float).reshape(values.shape),
            values,
            rtol=1e-9,
            atol=1e-9,
            err_msg=node,
        )


def test_the_sales_chain_in_a_few_lines_equals_the_models_called_directly(
    client, estimators
):
    df, _ = synthetic_sales(40, seed=11)
    chain = sales_chain(client, "client-sales", df)
    run = chain.run(df).wait(show_progress=False)
    assert run.status == "succeeded"
    assert run.data["dataset"] is None  # 40 rows go as JSON rows
    assert_every_output_is_direct(run, estimators, df)
    figures = run.metrics
    assert set(figures["nodes"]) == {n["node_id"] for n in run.nodes}
    assert figures["nodes"]["stack"]["rows"] == 40
    assert figures["nodes"]["stack"]["model"]["name"] == "sales-stacker"
    assert figures["seconds"] > 0


def test_a_large_table_goes_as_one_data_set_and_a_second_run_reuses_it(
    client, estimators
):
    df, _ = synthetic_sales(2500, seed=12)
    chain = sales_chain(client, "client-sales-large", df)
    first = chain.run(df).wait(show_progress=False)
    again = chain.run(df).wait(show_progress=False)
    assert first.data["dataset"] is not None
    assert again.data["dataset"] == first.data["dataset"]
    assert_every_output_is_direct(first, estimators, df)
    assert {n["status"] for n in again.nodes} == {"reused"}
    assert [r["verdict"] for r in client.runs.compare(first, again)] == ["same"] * 8


def test_compare_names_the_nodes_whose_outputs_differ(client):
    df, _ = synthetic_sales(30, seed=13)
    chain = sales_chain(client, "client-sales-compare", df)
    first = chain.run(df).wait(show_progress=False)
    changed = df.assign(price=df["price"] + 1.0)
    second = chain.run(changed).wait(show_progress=False)
    verdicts = {r["node_id"]: r for r in client.runs.compare(first.id, second.id)}
    assert {n: r["verdict"] for n, r in verdicts.items()} == {
        n: "different" for n in verdicts
    }
    price = {c["name"]: c for c in verdicts["in"]["columns"]}["price"]
    assert price["differ"] == 30
    assert price["max_abs_diff"] == pytest.approx(1.0)


def test_saving_the_same_graph_again_gives_the_same_version(client):
    df, _ = synthetic_sales(5, seed=14)
    first = sales_chain(client, "client-sales-same", df)
    second = sales_chain(client, "client-sales-same", df)
    assert (first.number, second.number) == (1, 1)
    assert client.get_chain("client-sales-same").document == first.document


def test_input_names_alone_take_their_dtypes_from_the_first_models_features(client):
    builder = client.chain("client-names").input(
        ["temperature", "price", "shape", "color", "promo"]
    )
    document = builder.model("sales-encoder", method="transform").document()
    assert document["nodes"][0]["params"]["schema"] == INPUT_SCHEMA
