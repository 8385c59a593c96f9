"""REST API of the registry: models, versions (multipart upload), aliases, trust."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import fields as strict
from config.downloads import PRESIGNED_REDIRECT
from config.pagination import Pagination
from config.parsers import CatenaJSONParser
from registry import selectors, services
from registry.downloads import version_file_response
from registry.impact import alias_move_broke
from registry.impact_apis import ImpactReachedSerializer
from registry.models import ModelVersion, RegisteredModel
from registry.usage import chains_using_counts
from registry.version_data import (
    TrainedOnField,
    VersionOutputSerializer,
    _version_data,
)


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
        "team": model.team.name if model.team else None,
        "created": model.created,
        "latest_version": latest,
        "aliases": {a.name: a.version.number for a in model.aliases.all()},
        "used_by_chains": used_by,
    }


class FormatIsAFilter(DefaultContentNegotiation):
    """``?format=`` filters the list here; it is not DRF's renderer override."""

    # select_renderer reads only this setting.
    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)  # type: ignore[assignment]


class ModelListApi(APIView):
    """GET lists registered models; POST registers a new model, empty or (as
    multipart with ``file``) with its first version: both or neither."""

    parser_classes = [CatenaJSONParser, MultiPartParser, FormParser]

    content_negotiation_class = FormatIsAFilter

    @extend_schema_serializer(component_name="ModelListFilter")
    class FilterSerializer(serializers.Serializer[Any]):
        search = serializers.CharField(required=False, allow_blank=True, default="")
        owner = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=150
        )
        format = serializers.ChoiceField(
            choices=ModelVersion.Format.choices,
            required=False,
            allow_blank=True,
            default="",
            help_text="Models with at least one version in this format.",
        )
        team = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema_serializer(component_name="ModelListInput")
    class InputSerializer(serializers.Serializer[Any]):
        name = strict.SlugField(max_length=services.NAME_MAX_LENGTH)
        title = strict.CharField(required=False, allow_blank=True, default="")
        description = strict.CharField(required=False, allow_blank=True, default="")
        file = serializers.FileField(required=False, allow_empty_file=True)
        sample = serializers.FileField(required=False, allow_empty_file=True)
        notes = strict.CharField(required=False, allow_blank=True, default="")
        metrics = strict.CharField(
            required=False, allow_blank=True, default="", help_text="a JSON object"
        )
        team = strict.CharField(required=False, allow_null=True, default=None)

    @extend_schema_serializer(component_name="ModelListOutput")
    class OutputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField()
        title = serializers.CharField()
        description = serializers.CharField()
        owner = serializers.CharField()
        team = serializers.CharField(allow_null=True)
        created = serializers.DateTimeField()
        latest_version = serializers.IntegerField(allow_null=True)
        aliases = serializers.DictField(child=serializers.IntegerField())
        used_by_chains = serializers.IntegerField()

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: OutputSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        models = selectors.model_list(**filters.validated_data)
        paginator = Pagination()
        page = paginator.paginate_queryset(models, request, view=self) or []
        data = self.OutputSerializer(_models_data(list(page)), many=True).data
        return paginator.get_paginated_response(data)

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        if fields.get("file") is None:
            fields.pop("file", None)
            fields.pop("sample", None)
            fields.pop("notes", None)
            fields.pop("metrics", None)
            model = services.registered_model_create(owner=request.user, **fields)
        else:
            version = services.registered_model_upload(owner=request.user, **fields)
            model = version.model
        data = self.OutputSerializer(_models_data([model])[0]).data
        return Response(data, status=status.HTTP_201_CREATED)


class ModelDetailApi(APIView):
    @extend_schema_serializer(component_name="ModelDetailOutput")
    class OutputSerializer(ModelListApi.OutputSerializer):
        """The same fields as a row of the list."""

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request, name: str) -> Response:
        model = selectors.model_get(name=name)
        return Response(self.OutputSerializer(_models_data([model])[0]).data)


class ModelVersionListApi(APIView):
    """GET lists a model's versions; POST uploads a new version (multipart)."""

    parser_classes = [MultiPartParser, FormParser, CatenaJSONParser]

    @extend_schema_serializer(component_name="ModelVersionListInput")
    class InputSerializer(serializers.Serializer[Any]):
        file = serializers.FileField(allow_empty_file=True)
        sample = serializers.FileField(required=False, allow_empty_file=True)
        notes = strict.CharField(required=False, allow_blank=True, default="")
        metrics = strict.CharField(
            required=False, allow_blank=True, default="", help_text="a JSON object"
        )
        python_version = strict.CharField(
            required=False, allow_blank=True, default="", max_length=30
        )
        sklearn_version = strict.CharField(
            required=False, allow_blank=True, default="", max_length=30
        )
        numpy_version = strict.CharField(
            required=False, allow_blank=True, default="", max_length=30
        )
        trained_on = TrainedOnField(required=False, default=None)
        out_of_fold = serializers.BooleanField(
            required=False, allow_null=True, default=None
        )

    OutputSerializer = VersionOutputSerializer

    @extend_schema(responses={200: VersionOutputSerializer(many=True)})
    def get(self, request: Request, name: str) -> Response:
        model = selectors.model_get(name=name)
        versions = selectors.version_list(model=model)
        paginator = Pagination()
        page = paginator.paginate_queryset(versions, request, view=self) or []
        data = self.OutputSerializer([_version_data(v) for v in page], many=True).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: VersionOutputSerializer},
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

    @extend_schema(responses={200: VersionOutputSerializer})
    def get(self, request: Request, name: str, number: int) -> Response:
        model = selectors.model_get(name=name)
        version = selectors.version_get(model=model, number=number)
        return Response(self.OutputSerializer(_version_data(version)).data)


class ModelVersionDownloadApi(APIView):
    """The stored file, byte for byte; downloading never loads it."""

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            302: PRESIGNED_REDIRECT,
        }
    )
    def get(self, request: Request, name: str, number: int) -> HttpResponseBase:
        model = selectors.model_get(name=name)
        version = selectors.version_get(model=model, number=number)
        return version_file_response(version)


class AliasSetApi(APIView):
    """Point an alias (``production``, ``staging``, any slug) at a version.

    A move that would break a live chain answers 409 with the impact in
    ``extra.impact``, and moves nothing, unless ``force`` is true.
    """

    @extend_schema_serializer(component_name="AliasSetInput")
    class InputSerializer(serializers.Serializer[Any]):
        alias = strict.SlugField(max_length=50)
        version = strict.IntegerField(min_value=1)
        force = strict.BooleanField(
            required=False,
            default=False,
            help_text="move even if a live chain would break",
        )

    @extend_schema_serializer(component_name="AliasSetOutput")
    class OutputSerializer(serializers.Serializer[Any]):
        alias = serializers.CharField()
        version = serializers.IntegerField()
        moved_by = serializers.CharField()
        moved = serializers.DateTimeField()
        broke = ImpactReachedSerializer(
            many=True, help_text="the chain versions this move broke"
        )

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request, name: str) -> Response:
        model = selectors.model_get(name=name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        alias = services.alias_set(
            model=model,
            alias=serializer.validated_data["alias"],
            number=serializer.validated_data["version"],
            user=request.user,
            force=serializer.validated_data["force"],
        )
        data = {
            "alias": alias.name,
            "version": alias.version.number,
            "moved_by": alias.moved_by.get_username(),
            "moved": alias.moved,
            "broke": alias_move_broke(alias=alias),
        }
        return Response(self.OutputSerializer(data).data)


class ModelTeamSetApi(APIView):
    """Give a model to a team the caller belongs to (``null``: to no team)."""

    parser_classes = [CatenaJSONParser]

    @extend_schema_serializer(component_name="ModelTeamSetInput")
    class InputSerializer(serializers.Serializer[Any]):
        team = strict.CharField(allow_null=True, allow_blank=True)

    OutputSerializer = ModelDetailApi.OutputSerializer

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request, name: str) -> Response:
        model = selectors.model_get(name=name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        model = services.registered_model_team_set(
            model=model, team=serializer.validated_data["team"], user=request.user
        )
        return Response(self.OutputSerializer(_models_data([model])[0]).data)


class ModelVersionTrustApi(APIView):
    """Staff only: trust exactly the listed types (or the pickle) of a version.

    Trusting a pickle or joblib file lets it run arbitrary code when loaded.
    """

    @extend_schema_serializer(component_name="ModelVersionTrustInput")
    class InputSerializer(serializers.Serializer[Any]):
        types = serializers.ListField(
            child=strict.CharField(),
            required=False,
            help_text="must equal the version's untrusted_types when given",
        )
        note = strict.CharField(required=False, allow_blank=True, default="")

    OutputSerializer = VersionOutputSerializer

    @extend_schema(
        request=InputSerializer,
        responses={200: VersionOutputSerializer},
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
