"""POST an endpoint version: a model served elsewhere, recorded like a file."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import fields as strict
from registry import selectors
from registry.models import RegisteredModel, RemoteEndpoint
from registry.services import endpoints
from registry.version_data import VersionOutputSerializer, _version_data


class _Number(serializers.FloatField):
    """A JSON number (not a string, not a boolean)."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        return float(super().to_internal_value(data))


class EndpointCreateApi(APIView):
    """Add a version served at a URL; the model is created if it does not exist.

    The host must be allow-listed. A V2 endpoint's signature is fetched from its
    metadata (``GET`` on the model URL) unless ``signature`` is given; a JSON
    records endpoint needs ``signature``.
    """

    @extend_schema_serializer(component_name="EndpointCreateInput")
    class InputSerializer(serializers.Serializer[Any]):
        url = strict.CharField(
            max_length=endpoints.URL_MAX_LENGTH,
            help_text="V2: the model URL, e.g. http://host:8080/v2/models/ranker",
        )
        protocol = serializers.ChoiceField(choices=RemoteEndpoint.Protocol.choices)
        signature = serializers.JSONField(
            required=False,
            allow_null=True,
            default=None,
            help_text='{"inputs": [[name, dtype], ...], "outputs": [[name, dtype]]}',
        )
        secret = strict.CharField(
            required=False, allow_blank=True, default="", max_length=100
        )
        auth_header = strict.CharField(
            required=False, default="Authorization", max_length=100
        )
        timeout = _Number(required=False, default=30.0)
        batch_size = strict.IntegerField(required=False, default=1000)
        parallel = strict.IntegerField(required=False, default=4)
        notes = strict.CharField(required=False, allow_blank=True, default="")
        title = strict.CharField(required=False, allow_blank=True, default="")
        description = strict.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={201: VersionOutputSerializer})
    def post(self, request: Request, name: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        model_fields = {k: fields.pop(k) for k in ("title", "description")}
        spec = endpoints.EndpointInput(**fields)
        model = RegisteredModel.objects.filter(name=name).first()
        if model is None:
            version = endpoints.endpoint_model_create(
                name=name, owner=request.user, spec=spec, **model_fields
            )
        else:
            version = endpoints.endpoint_version_create(
                model=model, spec=spec, uploaded_by=request.user
            )
        version = selectors.version_get(model=version.model, number=version.number)
        data = VersionOutputSerializer(_version_data(version)).data
        return Response(data, status=status.HTTP_201_CREATED)
