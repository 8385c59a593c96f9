"""The experiment page's bar chart per metric: order, scale, what is left out."""

from __future__ import annotations

import math

from runner.evaluation_charts import BAR_LABEL, BAR_VALUE, BAR_WIDTH, metric_bars


def test_each_metric_gets_a_chart_in_scoring_order_with_its_bars_best_first():
    variants = [
        (0, "a", {"r2": 0.5, "mae": 2.0, "rmse": 3.0}),
        (1, "b", {"r2": 0.9, "mae": 1.0, "rmse": 1.5}),
        (2, "c", {"r2": 0.1, "mae": 4.0, "rmse": 5.0}),
    ]
    charts = metric_bars(variants)
    assert [c["metric"] for c in charts] == ["mae", "rmse", "r2"]
    by = {c["metric"]: c for c in charts}
    assert [b["position"] for b in by["mae"]["bars"]] == [1, 0, 2]
    assert [b["position"] for b in by["r2"]["bars"]] == [1, 0, 2]
    assert (by["mae"]["better"], by["r2"]["better"]) == ("lower", "higher")
    assert [b["best"] for b in by["mae"]["bars"]] == [True, False, False]
    # Bars grow with the value from the zero axis at the left.
    widths = {b["position"]: b["w"] for b in by["mae"]["bars"]}
    assert widths[2] == BAR_WIDTH - BAR_LABEL - BAR_VALUE
    assert widths[1] == widths[2] / 4


def test_a_negative_value_points_left_of_the_zero_axis():
    (chart,) = metric_bars([(0, "good", {"r2": 0.6}), (1, "bad", {"r2": -0.3})])
    good, bad = chart["bars"]
    assert good["x"] == chart["zero"]
    assert math.isclose(bad["x"] + bad["w"], chart["zero"], abs_tol=0.11)
    assert good["w"] > bad["w"] > 0


def test_missing_and_non_finite_values_get_no_bar_and_are_listed():
    variants = [
        (0, "ok", {"accuracy": 0.8}),
        (1, "nan", {"accuracy": float("nan")}),
        (2, "none", {"accuracy": None}),
        (3, "absent", {}),
        (4, "text", {"accuracy": "0.9"}),
    ]
    (chart,) = metric_bars(variants)
    assert [b["position"] for b in chart["bars"]] == [0]
    assert [m["position"] for m in chart["missing"]] == [1, 2, 3, 4]


def test_equal_values_keep_the_variants_order_and_long_labels_are_cut():
    long = "a label much longer than the chart has room for"
    (chart,) = metric_bars([(0, long, {"mae": 1.0}), (1, "b", {"mae": 1.0})])
    assert [b["position"] for b in chart["bars"]] == [0, 1]
    first = chart["bars"][0]
    assert first["label"] == long
    assert len(first["short"]) == 16
    assert first["short"].endswith("…")


def test_no_metrics_no_charts():
    assert metric_bars([(0, "a", {}), (1, "b", {})]) == []
