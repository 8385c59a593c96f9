"""Catena's own predict API: JSON rows in, the chain's answer out."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.parsers import CatenaJSONParser
from config.schema import ErrorSerializer
from serving import predicting
from serving.gate import Overloaded, gate

Scalar = serializers.JSONField  # a number, text, boolean or null


class PredictInputSerializer(serializers.Serializer[Any]):
    """Documents the body; the rows are checked against the chain's input schema."""

    rows = serializers.ListField(
        child=serializers.DictField(child=Scalar()),
        required=False,
        help_text="The rows as JSON objects, one key per input column. "
        'Give "rows" or "columns", not both.',
    )
    columns = serializers.DictField(
        child=serializers.ListField(child=Scalar()),
        required=False,
        help_text="The rows as columns: each input column name to a list of values.",
    )


class PredictModelSerializer(serializers.Serializer[Any]):
    node = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    sha256 = serializers.CharField()


class PredictOutputSerializer(serializers.Serializer[Any]):
    chain = serializers.CharField()
    version = serializers.IntegerField(help_text="The chain version that answered.")
    variant = serializers.CharField(
        help_text='Which variant answered: "live" (no split is set), "v<n>" (the '
        'split picked version n) or "pinned" (a version was asked for).'
    )
    models = PredictModelSerializer(
        many=True, help_text="The exact model versions that ran."
    )
    rows = serializers.ListField(
        child=serializers.DictField(child=Scalar(allow_null=True)),
        help_text="The output node's rows, in the order of the request's rows.",
    )
    outputs = serializers.DictField(
        child=serializers.ListField(
            child=serializers.DictField(child=Scalar(allow_null=True))
        ),
        required=False,
        help_text="With ?outputs=a,b: those nodes' rows, by node id.",
    )


OUTPUTS = OpenApiParameter(
    "outputs",
    str,
    description="Comma-separated node ids whose rows to return too (debugging).",
)
RESPONSES = {
    200: PredictOutputSerializer,
    422: OpenApiResponse(ErrorSerializer, "A node failed on these rows."),
    503: OpenApiResponse(
        ErrorSerializer, "All prediction slots are busy; retry after Retry-After."
    ),
}


class PredictApi(APIView):
    """Rows in, the answer of the chain's live version out."""

    parser_classes = [CatenaJSONParser]

    @extend_schema(
        request=PredictInputSerializer, parameters=[OUTPUTS], responses=RESPONSES
    )
    def post(self, request: Request, name: str) -> Response:
        return _predict(request, name, None)


class PredictVersionApi(APIView):
    """Rows in, the answer of one chain version out."""

    parser_classes = [CatenaJSONParser]

    @extend_schema(
        request=PredictInputSerializer, parameters=[OUTPUTS], responses=RESPONSES
    )
    def post(self, request: Request, name: str, number: int) -> Response:
        return _predict(request, name, number)


def _predict(request: Request, name: str, number: int | None) -> Response:
    try:
        with gate.slot():
            body, cold = predicting.predict(
                chain_name=name,
                number=number,
                body=request.data,
                outputs=request.query_params.get("outputs", ""),
            )
    except Overloaded as exc:
        return overloaded(exc)
    return Response(body, headers={"Server-Timing": plan_timing(cold)})


def plan_timing(cold: bool) -> str:
    """``Server-Timing`` says whether the chain was prepared for this request."""
    return 'plan;desc="prepared"' if cold else 'plan;desc="warm"'


def overloaded(exc: Overloaded) -> Response:
    """503 with Retry-After: the caller should come back, not wait here."""
    return Response(
        {
            "message": f"Busy: {exc}. Retry after {exc.retry_after} s.",
            "extra": {"limit": "concurrency", "max": exc.limit},
        },
        status=503,
        headers={"Retry-After": str(exc.retry_after)},
    )
