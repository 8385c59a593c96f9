"""A run's labelled evaluation as the API shows it (see runner.services.evaluation)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from catena.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS

METRICS = ", ".join((*REGRESSION_METRICS, *CLASSIFICATION_METRICS))


class NodeMetricsSerializer(serializers.Serializer[Any]):
    node = serializers.CharField()
    kind = serializers.CharField()
    output = serializers.BooleanField(help_text="The chain's output node.")
    rows = serializers.IntegerField(help_text="Rows with a target and a prediction.")
    metrics = serializers.DictField(
        child=serializers.FloatField(), help_text=f"By name: {METRICS}."
    )


class EvaluationSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=["pending", "done", "failed"],
        help_text="pending until a worker scored the run after its last node",
    )
    target = serializers.CharField()
    task = serializers.ChoiceField(
        choices=["regression", "classification"], allow_null=True
    )
    rows = serializers.IntegerField(allow_null=True)
    nodes = NodeMetricsSerializer(many=True)
    chart = serializers.JSONField(
        allow_null=True,
        help_text='The output\'s chart: {"kind": "scatter", "node", "points": '
        '[[actual, predicted], ...]} or {"kind": "confusion", "node", "labels", '
        '"matrix": rows actual, columns predicted}.',
    )
    error = serializers.CharField()
