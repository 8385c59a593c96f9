"""The run page's optimize curves, drawn from a stored preview."""

from __future__ import annotations

from runner.curves import PAD, WIDTH, optimize_curves

PREVIEW = {
    "columns": [
        "best_price",
        "best_objective",
        "best_prediction",
        "curve_price_0",
        "curve_price_1",
        "curve_price_2",
        "curve_objective_0",
        "curve_objective_1",
        "curve_objective_2",
    ],
    "index": [7, 8],
    "rows": [
        [2.0, 9.0, 4.5, 1.0, 2.0, 3.0, 5.0, 9.0, 1.0],
        [None, None, None, 1.0, 2.0, 3.0, 5.0, 9.0, 1.0],
    ],
}


def test_the_chosen_point_is_the_highest_of_its_curve():
    first, second = optimize_curves(PREVIEW)

    assert first["row"] == 7
    assert first["decision"] == "price"
    # x 1..3 over 8..312, y 1..9 over 132..8 (SVG y grows downwards)
    assert first["points"] == "8.0,70.0 160.0,8.0 312.0,132.0"
    assert first["mark"] == (WIDTH / 2, float(PAD))
    assert second["mark"] is None


def test_a_node_without_curve_columns_gets_no_chart():
    plain = {
        "columns": ["best_price", "best_objective"],
        "index": [1],
        "rows": [[1, 2]],
    }

    assert optimize_curves(plain) == []
