"""chain.predict(df) against the serving endpoint of the live server.

Needs ``POST /api/chains/<name>/predict`` (issue 13, branch ``serve``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from catena_client import BadRequest

from catena.reference import fit_reference, synthetic_sales
from tests.client.test_sales_chain import expected_outputs, sales_chain

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def test_predict_answers_the_live_version_as_the_models_called_directly(client):
    df, _ = synthetic_sales(25, seed=21)
    df.index = pd.RangeIndex(100, 125)
    chain = sales_chain(client, "client-serve", df).make_live()
    answer = chain.predict(df)
    expected = expected_outputs(fit_reference(0), df)["stack"]
    assert answer.index.tolist() == list(range(100, 125))
    np.testing.assert_allclose(answer["prediction"], expected, rtol=1e-9)
    whole = chain.predict_answer(df.head(2), pinned=True, outputs=["scale"])
    assert (whole["chain"], whole["version"]) == ("client-serve", chain.number)
    assert {m["name"] for m in whole["models"]} >= {"sales-stacker", "sales-ridge"}
    assert len(whole["outputs"]["scale"]) == 2


def test_predict_rows_missing_a_column_are_refused_naming_it(client):
    df, _ = synthetic_sales(3, seed=22)
    chain = sales_chain(client, "client-serve-bad", df).make_live()
    with pytest.raises(BadRequest) as raised:
        chain.predict(df.drop(columns=["price"]))
    assert "price" in raised.value.message
