"""Every 4xx from the live server is an exception with its message and extra."""

from __future__ import annotations

import pytest
from catena_client import (
    BadRequest,
    Catena,
    ChainInvalid,
    Conflict,
    NotFound,
    TooLarge,
    Unauthorized,
)

from catena.reference import synthetic_sales

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def test_every_problem_is_listed_with_its_node_and_edge_and_nothing_is_stored(
    client,
):
    builder = (
        client.chain("client-broken")
        .input([("a", "float"), ("b", "str")])
        .fan_out(["no-such-model", "sales-ridge"])
    )
    with pytest.raises(ChainInvalid) as raised:
        builder.save(message="broken")
    error = raised.value
    assert error.status == 400
    assert {(p.code, p.node, p.edge) for p in error.problems} == {
        ("unknown_model", "no-such-model", None),
        ("feature_count", "sales-ridge", ("in", "sales-ridge")),
    }
    assert error.problems[0].data["model"] == "no-such-model"
    text = str(error)
    assert "no model named 'no-such-model'" in text
    assert "edge in -> sales-ridge" in text
    with pytest.raises(NotFound):
        client.chains.info("client-broken")


def test_an_unknown_run_is_not_found_with_the_servers_message(client):
    with pytest.raises(NotFound) as raised:
        client.runs.get(987654321)
    assert raised.value.status == 404
    assert raised.value.message
    assert isinstance(raised.value.extra, dict)


def test_a_run_input_missing_columns_names_them_in_extra(client):
    df, _ = synthetic_sales(3, seed=1)
    chain = (
        client.chain("client-missing")
        .input(df)
        .model("sales-encoder", method="transform")
        .save()
    )
    with pytest.raises(BadRequest) as raised:
        chain.run(df.drop(columns=["shape", "promo"]))
    assert raised.value.extra == {"missing": ["promo", "shape"]}
    assert "lacks columns" in raised.value.message
    assert client.runs.list(chain="client-missing") == []


def test_a_wrong_token_is_unauthorized(live):
    with (
        Catena(live.url, "not-a-token") as wrong,
        pytest.raises(Unauthorized) as raised,
    ):
        wrong.models.list()
    assert raised.value.status == 401


def test_a_taken_chain_name_is_a_conflict(client):
    client.chains.create("client-taken")
    with pytest.raises(Conflict) as raised:
        client.chains.create("client-taken")
    assert raised.value.status == 409


def test_a_document_beyond_the_servers_limit_is_too_large_with_the_limit_named(client):
    columns = [(f"column_{i:06d}_" + "x" * 40, "float") for i in range(25_000)]
    builder = client.chain("client-huge").input(columns).combine("concat")
    with pytest.raises(TooLarge) as raised:
        builder.save()
    assert raised.value.status == 413
    assert raised.value.extra["limit"] == "body"
    with pytest.raises(NotFound):
        client.chains.info("client-huge")
