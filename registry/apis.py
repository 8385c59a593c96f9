"""REST API of the registry: models, versions (multipart upload), aliases, trust."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.pagination import Pagination
from registry import selectors, services
from registry.models import ModelVersion, RegisteredModel
from registry.usage import chains_using_counts

ERROR = inline_serializer(
    "RegistryError",
    {"message": serializers.CharField(), "extra": serializers.DictField()},
)
ERRORS = {400: ERROR, 403: ERROR, 404: ERROR, 413: ERROR}


def _models_data(models: list[RegisteredModel]) -> list[dict[str, Any]]:
    counts = chains_using_counts([m.name for m in models])
    return [_model_data(m, used_by=counts[m.name]) for m in models]


def _model_data(model: RegisteredModel, *, used_by: int) -> dict[str, Any]:
    latest = getattr(model, "latest_number", None)
    if latest is None:
        found = selectors.version_latest(model=model)
        latest = found.number if found else None
    return {
        "name": model.name,
        "title": model.title,
        "description": model.description,
        "owner": model.owner.get_username(),
        "created": model.created,
        "latest_version": latest,
        "aliases": {a.name: a.version.number for a in model.aliases.all()},
        "used_by_chains": used_by,
    }


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
        "warnings": selectors.version_warnings(version=version),
        "aliases": [a.name for a in version.aliases.all()],
        "uploaded_by": version.uploaded_by.get_username(),
        "created": version.created,
    }


class ModelListApi(APIView):
    """GET lists registered models; POST registers a new (empty) model."""

    @extend_schema_serializer(component_name="ModelListFilter")
    class FilterSerializer(serializers.Serializer[Any]):
        search = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema_serializer(component_name="ModelListInput")
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.SlugField(max_length=services.NAME_MAX_LENGTH)
        title = serializers.CharField(required=False, allow_blank=True, default="")
        description = serializers.CharField(
            required=False, allow_blank=True, default=""
        )

    @extend_schema_serializer(component_name="ModelListOutput")
    class OutputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField()
        title = serializers.CharField()
        description = serializers.CharField()
        owner = serializers.CharField()
        created = serializers.DateTimeField()
        latest_version = serializers.IntegerField(allow_null=True)
        aliases = serializers.DictField(child=serializers.IntegerField())
        used_by_chains = serializers.IntegerField()

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: OutputSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        models = selectors.model_list(search=filters.validated_data["search"])
        paginator = Pagination()
        page = paginator.paginate_queryset(models, request, view=self) or []
        data = self.OutputSerializer(_models_data(list(page)), many=True).data
        return paginator.get_paginated_response(data)

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        model = services.registered_model_create(
            owner=request.user, **serializer.validated_data
        )
        data = self.OutputSerializer(_models_data([model])[0]).data
        return Response(data, status=status.HTTP_201_CREATED)


class ModelDetailApi(APIView):
    @extend_schema_serializer(component_name="ModelDetailOutput")
    class OutputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField()
        title = serializers.CharField()
        description = serializers.CharField()
        owner = serializers.CharField()
        created = serializers.DateTimeField()
        latest_version = serializers.IntegerField(allow_null=True)
        aliases = serializers.DictField(child=serializers.IntegerField())
        used_by_chains = serializers.IntegerField()

    @extend_schema(responses={200: OutputSerializer, **ERRORS})
    def get(self, request: Request, name: str) -> Response:
        model = selectors.model_get(name=name)
        return Response(self.OutputSerializer(_models_data([model])[0]).data)


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
    warnings = serializers.ListField(child=serializers.CharField())
    aliases = serializers.ListField(child=serializers.CharField())
    uploaded_by = serializers.CharField()
    created = serializers.DateTimeField()


class ModelVersionListApi(APIView):
    """GET lists a model's versions; POST uploads a new version (multipart)."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema_serializer(component_name="ModelVersionListInput")
    class InputSerializer(serializers.Serializer[Any]):
        file = serializers.FileField(allow_empty_file=True)
        sample = serializers.FileField(required=False, allow_empty_file=True)
        notes = serializers.CharField(required=False, allow_blank=True, default="")
        metrics = serializers.CharField(
            required=False, allow_blank=True, default="", help_text="a JSON object"
        )
        python_version = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=30
        )
        sklearn_version = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=30
        )
        numpy_version = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=30
        )

    OutputSerializer = VersionOutputSerializer

    @extend_schema(responses={200: VersionOutputSerializer(many=True), **ERRORS})
    def get(self, request: Request, name: str) -> Response:
        model = selectors.model_get(name=name)
        versions = selectors.version_list(model=model)
        paginator = Pagination()
        page = paginator.paginate_queryset(versions, request, view=self) or []
        data = self.OutputSerializer([_version_data(v) for v in page], many=True).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: VersionOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, name: str) -> Response:
        model = selectors.model_get(name=name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.model_version_create(
            model=model, uploaded_by=request.user, **serializer.validated_data
        )
        data = self.OutputSerializer(_version_data(version)).data
        return Response(data, status=status.HTTP_201_CREATED)


class ModelVersionDetailApi(APIView):
    OutputSerializer = VersionOutputSerializer

    @extend_schema(responses={200: VersionOutputSerializer, **ERRORS})
    def get(self, request: Request, name: str, number: int) -> Response:
        model = selectors.model_get(name=name)
        version = selectors.version_get(model=model, number=number)
        return Response(self.OutputSerializer(_version_data(version)).data)


class ModelVersionDownloadApi(APIView):
    """The stored file, byte for byte; downloading never loads it."""

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **ERRORS}
    )
    def get(self, request: Request, name: str, number: int) -> FileResponse:
        model = selectors.model_get(name=name)
        version = selectors.version_get(model=model, number=number)
        return version_file_response(version)


def version_file_response(version: ModelVersion) -> FileResponse:
    ext = version.file.name.rsplit(".", 1)[-1]
    filename = f"{version.model.name}-v{version.number}.{ext}"
    response = FileResponse(
        version.file.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/octet-stream",
    )
    response["X-Content-SHA256"] = version.sha256
    return response


class AliasSetApi(APIView):
    """Point an alias (``production``, ``staging``, any slug) at a version."""

    @extend_schema_serializer(component_name="AliasSetInput")
    class InputSerializer(serializers.Serializer[Any]):
        alias = serializers.SlugField(max_length=50)
        version = serializers.IntegerField(min_value=1)

    @extend_schema_serializer(component_name="AliasSetOutput")
    class OutputSerializer(serializers.Serializer[Any]):
        alias = serializers.CharField()
        version = serializers.IntegerField()
        moved_by = serializers.CharField()
        moved = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer, **ERRORS})
    def post(self, request: Request, name: str) -> Response:
        model = selectors.model_get(name=name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        alias = services.alias_set(
            model=model,
            alias=serializer.validated_data["alias"],
            number=serializer.validated_data["version"],
            user=request.user,
        )
        data = {
            "alias": alias.name,
            "version": alias.version.number,
            "moved_by": alias.moved_by.get_username(),
            "moved": alias.moved,
        }
        return Response(self.OutputSerializer(data).data)


class ModelVersionTrustApi(APIView):
    """Staff only: trust exactly the listed types (or the pickle) of a version.

    Trusting a pickle or joblib file lets it run arbitrary code when loaded.
    """

    @extend_schema_serializer(component_name="ModelVersionTrustInput")
    class InputSerializer(serializers.Serializer[Any]):
        types = serializers.ListField(
            child=serializers.CharField(),
            required=False,
            help_text="must equal the version's untrusted_types when given",
        )
        note = serializers.CharField(required=False, allow_blank=True, default="")

    OutputSerializer = VersionOutputSerializer

    @extend_schema(
        request=InputSerializer,
        responses={200: VersionOutputSerializer, **ERRORS},
        parameters=[OpenApiParameter("number", int, OpenApiParameter.PATH)],
    )
    def post(self, request: Request, name: str, number: int) -> Response:
        model = selectors.model_get(name=name)
        version = selectors.version_get(model=model, number=number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.model_version_trust(
            version=version, user=request.user, **serializer.validated_data
        )
        return Response(self.OutputSerializer(_version_data(version)).data)
