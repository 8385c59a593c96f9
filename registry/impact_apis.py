"""The API's answer to "what would moving an alias to this version break?"."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import selectors
from registry.impact import impact_of


@extend_schema_serializer(component_name="ImpactBreak")
class ImpactBreakSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="the problem code (catena.problems)")
    node = serializers.CharField(allow_null=True)
    message = serializers.CharField(help_text="for people only; read the fields")
    # DRF's metaclass moves declared fields off the class, so this does not
    # shadow ``Serializer.data``; mypy sees only the class body.
    data = serializers.DictField(help_text="the problem's fields")  # type: ignore[assignment]
    what = serializers.CharField(help_text="a short phrase made from the fields")


@extend_schema_serializer(component_name="ImpactReached")
class ImpactReachedSerializer(serializers.Serializer[Any]):
    chain = serializers.CharField()
    chain_version = serializers.IntegerField()
    live = serializers.BooleanField()
    url = serializers.CharField()
    breaks = ImpactBreakSerializer(many=True)


@extend_schema_serializer(component_name="Impact")
class ImpactSerializer(serializers.Serializer[Any]):
    """The chain versions following an alias, validated against a version."""

    model = serializers.CharField()
    version = serializers.IntegerField()
    alias = serializers.CharField()
    current = serializers.IntegerField(
        allow_null=True, help_text="the version the alias points at now"
    )
    chains = serializers.IntegerField(help_text="distinct chains reached")
    live = serializers.IntegerField(help_text="live chain versions reached")
    broken = serializers.IntegerField(help_text="chain versions that would break")
    broken_live = serializers.IntegerField()
    summary = serializers.CharField()
    reached = ImpactReachedSerializer(
        many=True, help_text="live versions first, then each chain's latest"
    )


class ModelVersionImpactApi(APIView):
    """What pointing ``alias`` at this version would reach and break."""

    @extend_schema_serializer(component_name="ModelVersionImpactFilter")
    class FilterSerializer(serializers.Serializer[Any]):
        alias = serializers.SlugField(
            max_length=50, help_text="the alias to move, e.g. production"
        )

    OutputSerializer = ImpactSerializer

    @extend_schema(parameters=[FilterSerializer], responses={200: ImpactSerializer})
    def get(self, request: Request, name: str, number: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        model = selectors.model_get(name=name)
        version = selectors.version_get(model=model, number=number)
        found = impact_of(version=version, alias=filters.validated_data["alias"])
        return Response(self.OutputSerializer(found.as_dict()).data)
