"""APIs of a chain's serving settings, its prediction log and per-variant figures.

Only the chain's owner, its team and staff may use them (the log holds the
callers' rows).
"""

from __future__ import annotations

from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from builder.selectors import chain_get
from config import fields as strict
from config.pagination import Pagination
from config.parsers import CatenaJSONParser
from config.schema import ErrorSerializer
from serving import logbook, setup, stats
from serving.models import PredictionLog
from serving.variants import MAX_KEY_LENGTH, MAX_SHADOWS, MAX_SPLIT

#: A settings body is a few hundred bytes; anything near this is not one.
MAX_SETTINGS_BYTES = 64 * 1024


class SettingsParser(CatenaJSONParser):
    @property
    def max_bytes(self) -> int:
        return MAX_SETTINGS_BYTES


class LogSettingsSerializer(serializers.Serializer[Any]):
    enabled = strict.BooleanField(required=False)
    rate = strict.FloatField(
        required=False,
        min_value=0.0001,
        max_value=1.0,
        help_text="The share of requests logged (1 = all).",
    )
    days = strict.IntegerField(
        required=False, min_value=1, max_value=3650, help_text="Days entries are kept."
    )


class SplitSerializer(serializers.Serializer[Any]):
    version = strict.IntegerField(min_value=1)
    weight = strict.IntegerField(
        min_value=1, max_value=100, help_text="Whole percent; a split sums to 100."
    )


class VariantsSerializer(serializers.Serializer[Any]):
    split = serializers.ListField(
        child=SplitSerializer(),
        max_length=MAX_SPLIT,
        required=False,
        default=list,
        help_text="Versions answering by weight; empty: the live version answers.",
    )
    shadows = serializers.ListField(
        child=strict.IntegerField(min_value=1),
        max_length=MAX_SHADOWS,
        required=False,
        default=list,
        help_text="Versions that get the same rows; logged, never returned.",
    )
    key = strict.CharField(
        max_length=MAX_KEY_LENGTH,
        required=False,
        default="",
        allow_blank=True,
        help_text="A column whose value in the first row makes the pick sticky.",
    )


class ChangeSerializer(serializers.Serializer[Any]):
    user = serializers.CharField(source="user.username")
    created = serializers.DateTimeField()
    summary = serializers.CharField()
    before = serializers.JSONField()
    after = serializers.JSONField()


class ServingOutputSerializer(serializers.Serializer[Any]):
    chain = serializers.CharField()
    log = LogSettingsSerializer()
    variants = VariantsSerializer()
    changes = ChangeSerializer(many=True, help_text="The newest changes first.")


FORBIDDEN = {
    403: OpenApiResponse(ErrorSerializer, "Not the chain's owner, team or staff.")
}


class ChainServingApi(APIView):
    """How a chain is served: its prediction log and its A/B and shadow variants."""

    parser_classes = [SettingsParser]

    class InputSerializer(serializers.Serializer[Any]):
        log = LogSettingsSerializer(required=False)
        variants = VariantsSerializer(required=False)

    @extend_schema(responses={200: ServingOutputSerializer, **FORBIDDEN})
    def get(self, request: Request, name: str) -> Response:
        chain = chain_get(name=name)
        setup.serving_check(chain=chain, user=request.user)
        return Response(_output(chain))

    @extend_schema(
        request=InputSerializer,
        responses={200: ServingOutputSerializer, **FORBIDDEN},
        description="Change the log settings and/or the variants; a part left "
        "out stays as it is. Every change is recorded.",
    )
    def put(self, request: Request, name: str) -> Response:
        chain = chain_get(name=name)
        setup.serving_check(chain=chain, user=request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        setup.serving_set(
            chain=chain,
            user=request.user,
            log=serializer.validated_data.get("log"),
            variants=serializer.validated_data.get("variants"),
        )
        return Response(_output(chain))


def _output(chain: Any) -> dict[str, Any]:
    current = setup.setup_get(chain_name=chain.name)
    return {
        "chain": chain.name,
        "log": current.log_dict(),
        "variants": current.variants.as_dict(),
        "changes": ChangeSerializer(setup.serving_changes(chain=chain), many=True).data,
    }


class VariantStatsSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=PredictionLog.Role.choices)
    variant = serializers.CharField()
    logged = serializers.IntegerField(help_text="Log entries in the window.")
    requests = serializers.FloatField(help_text="Requests, estimated from sampling.")
    failed = serializers.FloatField(help_text="Answers with an error (4xx), estimated.")
    p50_ms = serializers.FloatField(allow_null=True)
    p99_ms = serializers.FloatField(allow_null=True)
    diff_mean = serializers.FloatField(
        allow_null=True, help_text="Shadows: mean absolute difference."
    )
    diff_share = serializers.FloatField(
        allow_null=True, help_text="Shadows: share of rows differing."
    )


class StatsOutputSerializer(serializers.Serializer[Any]):
    hours = serializers.IntegerField(help_text="The window: the last hours.")
    variants = VariantStatsSerializer(many=True)


class StatsFilterSerializer(serializers.Serializer[Any]):
    hours = serializers.IntegerField(
        min_value=1, max_value=24 * 3650, required=False, default=24
    )


class ChainVariantStatsApi(APIView):
    """Per variant: requests, errors, latency p50/p99, shadows' difference."""

    @extend_schema(
        parameters=[StatsFilterSerializer],
        responses={200: StatsOutputSerializer, **FORBIDDEN},
    )
    def get(self, request: Request, name: str) -> Response:
        chain = chain_get(name=name)
        setup.serving_check(chain=chain, user=request.user)
        filters = StatsFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        figures = stats.variant_stats(chain=chain, **filters.validated_data)
        return Response(
            {
                "hours": filters.validated_data["hours"],
                "variants": [f.as_dict() for f in figures],
            }
        )


class LogFilterSerializer(serializers.Serializer[Any]):
    variant = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=20
    )
    role = serializers.ChoiceField(
        choices=PredictionLog.Role.choices, required=False, default=""
    )


class LogEntrySerializer(serializers.Serializer[Any]):
    created = serializers.DateTimeField()
    request = serializers.UUIDField()
    role = serializers.ChoiceField(choices=PredictionLog.Role.choices)
    variant = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)
    status = serializers.IntegerField()
    latency_ms = serializers.FloatField()
    rate = serializers.FloatField(help_text="The sampling rate it was logged at.")
    rows = serializers.IntegerField(help_text="Rows in the request.")
    inputs = serializers.JSONField(help_text="The first rows in (capped).")
    outputs = serializers.JSONField(help_text="The first rows out (capped).")
    used_models = serializers.JSONField(help_text="[node, model, version] triples.")
    error = serializers.CharField()
    diff_mean = serializers.FloatField(allow_null=True)
    diff_share = serializers.FloatField(allow_null=True)


class PredictionLogListApi(APIView):
    """The chain's prediction log, newest first."""

    @extend_schema(
        parameters=[LogFilterSerializer],
        responses={200: LogEntrySerializer(many=True), **FORBIDDEN},
    )
    def get(self, request: Request, name: str) -> Response:
        entries = _entries(request, name)
        paginator = Pagination()
        page = paginator.paginate_queryset(entries, request, view=self)
        assert page is not None
        return paginator.get_paginated_response(
            LogEntrySerializer(page, many=True).data
        )


def _entries(request: Request, name: str) -> Any:
    chain = chain_get(name=name)
    setup.serving_check(chain=chain, user=request.user)
    filters = LogFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return logbook.log_entries(chain=chain, **filters.validated_data)


class PredictionLogExportApi(APIView):
    """The chain's prediction log as CSV, streamed, newest first."""

    @extend_schema(
        parameters=[LogFilterSerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, "CSV, one entry a line."
            ),
            **FORBIDDEN,
        },
    )
    def get(self, request: Request, name: str) -> StreamingHttpResponse:
        entries = _entries(request, name)
        response = StreamingHttpResponse(
            logbook.log_csv(entries=entries), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{name}-predictions.csv"'
        )
        return response
