"""A model version as the API shows it, and the field that takes ``trained_on``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from config.parsers import json_loads
from registry import selectors
from registry.endpoint_data import EndpointOutputSerializer, endpoint_data
from registry.models import ModelVersion


class TrainedOnEntrySerializer(serializers.Serializer[Any]):
    model = serializers.CharField()
    version = serializers.IntegerField(min_value=1)


@extend_schema_field(TrainedOnEntrySerializer(many=True, allow_null=True))
class TrainedOnField(serializers.JSONField):
    """A list of ``{"model", "version"}``: JSON in a JSON body, JSON text in a form
    (multipart uploads carry text only). Its entries are checked by the service."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            if not data.strip():
                return None
            try:
                data = json_loads(data)
            except (ValueError, RecursionError):
                self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_serializer(component_name="ModelVersion")
class VersionOutputSerializer(serializers.Serializer[Any]):
    """Shape of one version in the API documentation."""

    number = serializers.IntegerField()
    format = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    filename = serializers.CharField()
    library = serializers.CharField()
    library_version = serializers.CharField()
    python_version = serializers.CharField()
    sklearn_version = serializers.CharField()
    numpy_version = serializers.CharField()
    methods = serializers.ListField(child=serializers.CharField())
    signature = serializers.JSONField()
    metrics = serializers.JSONField()
    notes = serializers.CharField()
    trusted = serializers.BooleanField()
    untrusted_types = serializers.ListField(child=serializers.CharField())
    trained_on = TrainedOnEntrySerializer(
        many=True, help_text="The versions whose outputs were its features."
    )
    out_of_fold = serializers.BooleanField(
        allow_null=True,
        help_text="Whether those were out-of-fold predictions; null: unknown.",
    )
    warnings = serializers.ListField(child=serializers.CharField())
    aliases = serializers.ListField(child=serializers.CharField())
    uploaded_by = serializers.CharField()
    created = serializers.DateTimeField()
    endpoint = EndpointOutputSerializer(allow_null=True, help_text="remote only")


def _version_data(version: ModelVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "format": version.format,
        "sha256": version.sha256,
        "size": version.size,
        "filename": version.original_filename,
        "library": version.library,
        "library_version": version.library_version,
        "python_version": version.python_version,
        "sklearn_version": version.sklearn_version,
        "numpy_version": version.numpy_version,
        "methods": version.methods,
        "signature": version.signature,
        "metrics": version.metrics,
        "notes": version.notes,
        "trusted": version.trusted,
        "untrusted_types": version.untrusted_types,
        "trained_on": version.trained_on,
        "out_of_fold": version.out_of_fold,
        "warnings": selectors.version_warnings(version=version),
        "aliases": [a.name for a in version.aliases.all()],
        "uploaded_by": version.uploaded_by.get_username(),
        "created": version.created,
        "endpoint": endpoint_data(version),
    }
