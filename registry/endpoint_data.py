"""How an endpoint version is shown: where and how it is called, never the secret."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from registry.models import ModelVersion, RemoteEndpoint


@extend_schema_serializer(component_name="RemoteEndpoint")
class EndpointOutputSerializer(serializers.Serializer[Any]):
    url = serializers.CharField()
    protocol = serializers.ChoiceField(choices=RemoteEndpoint.Protocol.choices)
    signature_source = serializers.ChoiceField(choices=RemoteEndpoint.Source.choices)
    secret = serializers.CharField(
        help_text="the name of the secret in CATENA_REMOTE_SECRETS; never its value"
    )
    auth_header = serializers.CharField()
    timeout = serializers.FloatField()
    batch_size = serializers.IntegerField()
    parallel = serializers.IntegerField()


def endpoint_data(version: ModelVersion) -> dict[str, Any] | None:
    """The endpoint of a remote version, None for an uploaded file."""
    if version.format != ModelVersion.Format.REMOTE:
        return None
    row = version.endpoint
    return {
        "url": row.url,
        "protocol": row.protocol,
        "signature_source": row.signature_source,
        "secret": row.secret,
        "auth_header": row.auth_header,
        "timeout": row.timeout,
        "batch_size": row.batch_size,
        "parallel": row.parallel,
    }
