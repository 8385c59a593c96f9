"""Schemas: dtypes of frames, compatibility, JSON form."""

from __future__ import annotations

import pandas as pd
import pytest

from catena.schema import (
    Column,
    dtype_of,
    fits,
    schema_from_json,
    schema_of,
    schema_to_json,
)


def test_schema_of_a_frame_maps_the_four_dtypes():
    frame = pd.DataFrame(
        {
            "f": [1.5],
            "i": [1],
            "s": ["a"],
            "b": [True],
            "o": pd.Series(["x"], dtype=object),
        }
    )
    assert schema_of(frame) == (
        Column("f", "float"),
        Column("i", "int"),
        Column("s", "str"),
        Column("b", "bool"),
        Column("o", "str"),
    )


def test_unsupported_dtypes_are_refused():
    with pytest.raises(ValueError, match="unsupported dtype datetime64"):
        dtype_of(pd.Series(pd.to_datetime(["2024-01-01"])))


@pytest.mark.parametrize(
    ("produced", "required", "ok"),
    [
        ("int", "float", True),
        ("bool", "int", True),
        ("float", "int", False),
        ("int", "str", False),
        ("str", "float", False),
        ("str", "str", True),
    ],
)
def test_compatibility_rule(produced, required, ok):
    assert fits(produced, required) is ok


def test_schema_json_round_trip_and_errors():
    schema = (Column("a", "int"), Column("b", "str"))
    assert schema_to_json(schema) == [["a", "int"], ["b", "str"]]
    assert schema_from_json(schema_to_json(schema)) == schema
    with pytest.raises(ValueError, match="unknown dtype 'date' for column 'a'"):
        schema_from_json([["a", "date"]])
    with pytest.raises(ValueError, match="must be \\[name, dtype\\]"):
        schema_from_json([["a"]])
