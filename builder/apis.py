"""The builder's REST API: chains, versions, live version, drafts, validation."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from builder import bundle, selectors, services
from builder.models import NAME_MAX_LENGTH, Chain, ChainVersion
from builder.parsers import LimitedJSONParser, RawZip, ZipParser
from builder.validation import problem_serializer
from config import fields as strict
from config.exceptions import CatenaAppError
from config.pagination import Pagination
from config.schema import ErrorSerializer


class DocumentApi(APIView):
    """An API whose JSON bodies are size-limited before parsing."""

    parser_classes = [LimitedJSONParser]


def _chain_url(request: Request, chain: Chain) -> str:
    return request.build_absolute_uri(f"/api/chains/{chain.name}/")


class ChainOutputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    owner = serializers.CharField(source="owner.username")
    team = serializers.CharField(source="team.name", allow_null=True, default=None)
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()
    latest_version = serializers.IntegerField(allow_null=True)
    live_version = serializers.IntegerField(
        source="live_version.number", allow_null=True, default=None
    )
    can_edit = serializers.BooleanField()
    url = serializers.CharField()


def _chain_data(request: Request, chain: Chain) -> dict[str, Any]:
    latest = getattr(chain, "latest_number", None)
    if latest is None and not hasattr(chain, "latest_number"):
        version = selectors.chain_version_latest(chain=chain)
        latest = version.number if version else None
    chain.latest_version = latest  # type: ignore[attr-defined]
    chain.can_edit = selectors.chain_can_edit(chain=chain, user=request.user)  # type: ignore[attr-defined]
    chain.url = _chain_url(request, chain)  # type: ignore[attr-defined]
    return ChainOutputSerializer(chain).data


class ChainListApi(DocumentApi):
    @extend_schema_serializer(component_name="ChainListFilter")
    class FilterSerializer(serializers.Serializer[Any]):
        search = serializers.CharField(required=False, default="", allow_blank=True)
        owner = serializers.CharField(required=False, default="", allow_blank=True)
        team = serializers.CharField(required=False, default="", allow_blank=True)

    @extend_schema_serializer(component_name="ChainListInput")
    class InputSerializer(serializers.Serializer[Any]):
        name = strict.SlugField(max_length=NAME_MAX_LENGTH)
        title = strict.CharField(max_length=200, required=False, default="")
        description = strict.CharField(required=False, default="", allow_blank=True)
        team = strict.CharField(required=False, allow_null=True, default=None)

    @extend_schema(
        parameters=[FilterSerializer], responses=ChainOutputSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        chains = selectors.chain_list(**filters.validated_data)
        paginator = Pagination()
        page = paginator.paginate_queryset(chains, request, view=self)
        assert page is not None
        data = [_chain_data(request, chain) for chain in page]
        return paginator.get_paginated_response(data)

    @extend_schema(request=InputSerializer, responses={201: ChainOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chain = services.chain_create(owner=request.user, **serializer.validated_data)
        return Response(_chain_data(request, chain), status=status.HTTP_201_CREATED)


class ChainDetailApi(APIView):
    @extend_schema(responses=ChainOutputSerializer)
    def get(self, request: Request, name: str) -> Response:
        chain = selectors.chain_get(name=name)
        return Response(_chain_data(request, chain))


class ChainTeamSetApi(DocumentApi):
    """Give a chain to a team the caller belongs to (``null``: to no team)."""

    @extend_schema_serializer(component_name="ChainTeamSetInput")
    class InputSerializer(serializers.Serializer[Any]):
        team = strict.CharField(allow_null=True, allow_blank=True)

    @extend_schema(request=InputSerializer, responses=ChainOutputSerializer)
    def post(self, request: Request, name: str) -> Response:
        chain = selectors.chain_get(name=name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chain = services.chain_team_set(
            chain=chain, team=serializer.validated_data["team"], user=request.user
        )
        return Response(_chain_data(request, chain))


class VersionSummarySerializer(serializers.Serializer[Any]):
    """A version in a list: everything but the document."""

    chain = serializers.CharField(source="chain.name")
    number = serializers.IntegerField()
    hash = serializers.CharField()
    message = serializers.CharField()
    saved_by = serializers.CharField(source="saved_by.username")
    created = serializers.DateTimeField()


class VersionOutputSerializer(VersionSummarySerializer):
    document = serializers.JSONField()


def _version_data(version: ChainVersion, *, document: bool = True) -> dict[str, Any]:
    data = dict(VersionOutputSerializer(version).data)
    if not document:
        data.pop("document")
    return data


class ChainVersionListApi(DocumentApi):
    @extend_schema_serializer(component_name="ChainVersionListInput")
    class InputSerializer(serializers.Serializer[Any]):
        document = serializers.DictField()
        message = strict.CharField(
            max_length=500, required=False, default="", allow_blank=True
        )

    @extend_schema(responses=VersionSummarySerializer(many=True))
    def get(self, request: Request, name: str) -> Response:
        chain = selectors.chain_get(name=name)
        versions = selectors.chain_version_list(chain=chain)
        paginator = Pagination()
        page = paginator.paginate_queryset(versions, request, view=self)
        assert page is not None
        data = [_version_data(v, document=False) for v in page]
        return paginator.get_paginated_response(data)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: VersionOutputSerializer,
            200: inline_serializer(
                "ChainVersionUnchanged",
                {
                    "unchanged": serializers.BooleanField(),
                    "number": serializers.IntegerField(),
                },
            ),
        },
    )
    def post(self, request: Request, name: str) -> Response:
        chain = selectors.chain_get(name=name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version, created = services.chain_version_save(
            chain=chain, user=request.user, **serializer.validated_data
        )
        if not created:
            return Response({"unchanged": True, "number": version.number})
        return Response(_version_data(version), status=status.HTTP_201_CREATED)


class ChainVersionDetailApi(APIView):
    @extend_schema(responses=VersionOutputSerializer)
    def get(self, request: Request, name: str, number: int) -> Response:
        version = selectors.chain_version_get(chain_name=name, number=number)
        return Response(_version_data(version))


class ChainLiveSetApi(DocumentApi):
    @extend_schema_serializer(component_name="ChainLiveSetInput")
    class InputSerializer(serializers.Serializer[Any]):
        number = strict.IntegerField(min_value=1, allow_null=True)

    @extend_schema(request=InputSerializer, responses=ChainOutputSerializer)
    def post(self, request: Request, name: str) -> Response:
        chain = selectors.chain_get(name=name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chain = services.chain_live_set(
            chain=chain, user=request.user, number=serializer.validated_data["number"]
        )
        return Response(_chain_data(request, chain))


class ChainDraftApi(DocumentApi):
    @extend_schema_serializer(component_name="ChainDraftInput")
    class InputSerializer(serializers.Serializer[Any]):
        document = serializers.JSONField()
        base_number = strict.IntegerField(
            min_value=1, required=False, allow_null=True, default=None
        )

    @extend_schema_serializer(component_name="ChainDraftOutput")
    class OutputSerializer(serializers.Serializer[Any]):
        document = serializers.JSONField()
        base_number = serializers.IntegerField(allow_null=True)
        updated = serializers.DateTimeField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, name: str) -> Response:
        chain = selectors.chain_get(name=name)
        draft = selectors.chain_draft_get(chain=chain, user=request.user)
        if draft is None:
            return Response(
                {"message": "You have no draft of this chain.", "extra": {}},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(self.OutputSerializer(draft).data)

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def put(self, request: Request, name: str) -> Response:
        chain = selectors.chain_get(name=name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        draft = services.chain_draft_save(
            chain=chain, user=request.user, **serializer.validated_data
        )
        return Response(self.OutputSerializer(draft).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, name: str) -> Response:
        chain = selectors.chain_get(name=name)
        services.chain_draft_delete(chain=chain, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ValidateApi(DocumentApi):
    @extend_schema_serializer(component_name="ValidateInput")
    class InputSerializer(serializers.Serializer[Any]):
        document = serializers.JSONField()
        chain = serializers.SlugField(
            required=False,
            allow_blank=True,
            default="",
            max_length=100,
            help_text="The chain the document is a version of: a chain step "
            "using it (directly or through others) is reported as a cycle.",
        )
        target = strict.CharField(
            required=False,
            allow_blank=True,
            default="",
            max_length=200,
            help_text="A data set's target column: a model taking it is warned of.",
        )

    @extend_schema_serializer(component_name="ValidateOutput")
    class OutputSerializer(serializers.Serializer[Any]):
        problems = problem_serializer()
        schemas = serializers.DictField()

    @extend_schema(
        request=InputSerializer,
        responses=OutputSerializer,
        parameters=[],
        description="Validate an unsaved graph document against the registry.",
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        problems, schemas = services.chain_validate(
            serializer.validated_data["document"],
            chain=serializer.validated_data["chain"] or None,
            target=serializer.validated_data["target"],
        )
        return Response({"problems": problems, "schemas": schemas})


class ChainExportApi(APIView):
    @extend_schema_serializer(component_name="ChainExportFilter")
    class FilterSerializer(serializers.Serializer[Any]):
        bundle = serializers.ChoiceField(
            choices=["", "zip"], required=False, default=""
        )

    @extend_schema(
        parameters=[FilterSerializer],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "application/zip"): OpenApiTypes.BINARY,
            409: ErrorSerializer,
        },
        description="The version's document and the models it uses (name, "
        "resolved version, sha256); with ?bundle=zip a zip that also holds the "
        "model files.",
    )
    def get(self, request: Request, name: str, number: int) -> HttpResponseBase:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        version = selectors.chain_version_get(chain_name=name, number=number)
        if filters.validated_data["bundle"] != "zip":
            return Response(bundle.chain_export(version=version))
        archive = bundle.chain_bundle_write(version=version)
        return FileResponse(
            archive,
            as_attachment=True,
            filename=f"{name}-v{number}.catena.zip",
            content_type="application/zip",
        )


class ChainImportApi(APIView):
    parser_classes = [LimitedJSONParser, MultiPartParser, ZipParser]

    @extend_schema_serializer(component_name="ChainImportFilter")
    class FilterSerializer(serializers.Serializer[Any]):
        name = serializers.SlugField(
            max_length=NAME_MAX_LENGTH, required=False, default=""
        )
        trust = serializers.BooleanField(required=False, default=False)

    @extend_schema_serializer(component_name="ChainImportOutput")
    class OutputSerializer(serializers.Serializer[Any]):
        chain = serializers.CharField()
        version = serializers.IntegerField()
        hash = serializers.CharField()
        models = serializers.ListField(child=serializers.DictField())
        rewritten = serializers.ListField(child=serializers.DictField())
        clashes = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        parameters=[FilterSerializer],
        request={
            "application/json": OpenApiTypes.OBJECT,
            "multipart/form-data": inline_serializer(
                "ChainBundleUpload", {"bundle": serializers.FileField()}
            ),
            "application/zip": OpenApiTypes.BINARY,
        },
        responses={201: OutputSerializer},
        description="Import an export (JSON, models must be present here) or a "
        "zip bundle (multipart field 'bundle'). ?name= imports under another name; "
        "?trust=true (staff) trusts imported model versions that need it.",
    )
    def post(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        upload = request.FILES.get("bundle")
        if isinstance(request.data, RawZip):
            checked = bundle.bundle_open(request.data.file)
        elif upload is not None:
            checked = bundle.bundle_open(upload)
        elif request.content_type.startswith("multipart/"):
            raise CatenaAppError(
                "Send the zip in the multipart field 'bundle'.",
                {"fields": {"bundle": ["No file was sent."]}},
            )
        else:
            checked = bundle.Bundle(bundle.manifest_check(request.data))
        report = bundle.chain_import(
            bundle=checked, user=request.user, **filters.validated_data
        )
        return Response(report.as_dict(), status=status.HTTP_201_CREATED)


class PaletteApi(APIView):
    @extend_schema_serializer(component_name="PaletteOutput")
    class OutputSerializer(serializers.Serializer[Any]):
        kinds = serializers.ListField(child=serializers.DictField())
        models = serializers.ListField(child=serializers.DictField())
        chains = serializers.ListField(
            child=serializers.DictField(),
            help_text="Saved chains for chain steps: name, title, versions "
            "(numbers), live and latest version numbers.",
        )

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(selectors.palette_get())
