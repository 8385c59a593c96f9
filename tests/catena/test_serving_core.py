"""The core's serving pieces: request rows, V2 encoding, a prepared chain."""

from __future__ import annotations

import struct

import numpy as np
import pandas as pd
import pytest

from catena import v2
from catena.errors import ChainInvalidError, ProtocolError, RowsError
from catena.executor import run
from catena.graph import load
from catena.reference import build_reference
from catena.rows import columns_table, records_table
from catena.schema import Column
from catena.serving import predict, prepare

SCHEMA = (Column("x", "float"), Column("n", "int"), Column("s", "str"))


def test_records_every_bad_column_is_named_with_its_first_bad_row():
    rows = [{"x": 1, "n": 2, "s": "a"}, {"x": "b", "n": True, "s": 3}]
    with pytest.raises(RowsError) as caught:
        records_table(rows, SCHEMA)
    assert caught.value.columns == {
        "x": "row 1: expected float, got text",
        "s": "row 1: expected str, got integer",
    }


def test_records_keep_order_and_widen_int_to_float():
    table = records_table(
        [{"x": 1, "n": 2, "s": "a"}, {"x": None, "n": 3, "s": "b"}], SCHEMA
    )
    assert table.x.tolist()[0] == 1.0
    assert np.isnan(table.x.tolist()[1])
    assert table.n.dtype == np.int64
    assert table.s.tolist() == ["a", "b"]


def test_columns_of_different_lengths_are_refused():
    with pytest.raises(RowsError, match="same number of values"):
        columns_table({"x": [1.0], "n": [1, 2], "s": ["a"]}, SCHEMA)


def test_v2_binary_tensors_decode_like_json_ones():
    raw = (
        struct.pack("<2d", 1.5, 2.5)
        + struct.pack("<I", 3)
        + b"abc"
        + struct.pack("<I", 0)
    )
    body = {
        "inputs": [
            {
                "name": "x",
                "shape": [2],
                "datatype": "FP64",
                "parameters": {"binary_data_size": 16},
            },
            {
                "name": "s",
                "shape": [2],
                "datatype": "BYTES",
                "parameters": {"binary_data_size": 11},
            },
        ]
    }
    assert v2.decode_inputs(body, raw) == {"x": [1.5, 2.5], "s": ["abc", ""]}


@pytest.mark.parametrize(
    "raw", [struct.pack("<I", 99) + b"ab", struct.pack("<H", 1), b"\xff\xfe\x00"]
)
def test_v2_truncated_or_invalid_bytes_are_refused(raw):
    body = {
        "inputs": [
            {
                "name": "s",
                "shape": [1],
                "datatype": "BYTES",
                "parameters": {"binary_data_size": len(raw)},
            }
        ]
    }
    with pytest.raises(ProtocolError):
        v2.decode_inputs(body, raw)


def test_v2_request_and_response_round_trip():
    table = pd.DataFrame(
        {"a": [1.5, 2.0], "b": [1, 2], "c": ["x", "y"], "d": [True, False]}
    )
    decoded = v2.decode_inputs(v2.encode_request(table))
    assert pd.DataFrame(decoded).equals(table)
    assert v2.decode_outputs({"outputs": v2.encode_outputs(table)}).equals(table)


def test_a_prepared_chain_predicts_what_the_executor_runs():
    doc, resolver, data = build_reference(rows=50, seed=0)
    graph = load(doc)
    prepared = prepare(graph, resolver)
    served = predict(prepared, data)[prepared.output]
    ran = run(graph, data, resolver).outputs[prepared.output]
    pd.testing.assert_frame_equal(served, ran, check_exact=False, atol=1e-9, rtol=0)
    assert [m.node for m in prepared.models] == [
        "encode",
        "scale",
        "ridge",
        "forest",
        "boost",
        "stack",
    ]
    with pytest.raises(ChainInvalidError):
        predict(prepared, data, ["nope"])
