"""The runner's REST API: data sets, runs, node outputs (see DEVELOPERS.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from builder.parsers import LimitedJSONParser
from config.exceptions import CatenaAppError
from config.pagination import Pagination
from runner import selectors
from runner.models import Dataset, NodeResult, Run
from runner.services import datasets as dataset_services
from runner.services import runs as run_services
from runner.services.artifacts import artifact_load


def _page(request: Request, view: APIView, items: Any, serializer: Any) -> Response:
    paginator = Pagination()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


# Data sets -----------------------------------------------------------------------
class DatasetOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    owner = serializers.CharField(source="owner.username")
    format = serializers.CharField()
    original_name = serializers.CharField()
    size = serializers.IntegerField()
    rows = serializers.IntegerField(source="artifact.rows")
    schema = serializers.JSONField(source="artifact.schema")
    preview = serializers.JSONField(source="artifact.preview")
    created = serializers.DateTimeField()


class DatasetListApi(APIView):
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=200, required=False, default="")
        description = serializers.CharField(
            required=False, default="", allow_blank=True
        )
        file = serializers.FileField()

    @extend_schema(responses=DatasetOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return _page(request, self, selectors.dataset_list(), DatasetOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: DatasetOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dataset = dataset_services.dataset_create(
            owner=request.user, **data.validated_data
        )
        body = DatasetOutputSerializer(dataset).data
        return Response(body, status=status.HTTP_201_CREATED)


# Runs --------------------------------------------------------------------------
class RunOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    chain = serializers.CharField(source="chain_version.chain.name")
    version = serializers.IntegerField(source="chain_version.number")
    status = serializers.CharField()
    started_by = serializers.CharField(source="started_by.username")
    dataset = serializers.IntegerField(source="dataset_id", allow_null=True)
    input_rows = serializers.IntegerField()
    until = serializers.CharField()
    reuse = serializers.BooleanField()
    reused_from = serializers.IntegerField(source="reused_from_id", allow_null=True)
    resolved = serializers.JSONField()
    error = serializers.CharField()
    attempt = serializers.IntegerField()
    created = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    seconds = serializers.FloatField(allow_null=True)
    url = serializers.CharField(source="get_absolute_url")


class NodeResultOutputSerializer(serializers.Serializer[Any]):
    node_id = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    cache_key = serializers.CharField()
    reused = serializers.SerializerMethodField()
    reused_from = serializers.IntegerField(source="reused_from_id", allow_null=True)
    stored = serializers.SerializerMethodField()
    rows = serializers.IntegerField(allow_null=True)
    schema = serializers.JSONField()
    preview = serializers.SerializerMethodField()
    seconds = serializers.FloatField(allow_null=True)
    model = serializers.SerializerMethodField()
    attempts = serializers.IntegerField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField()
    traceback = serializers.CharField()

    def get_reused(self, obj: NodeResult) -> bool:
        return obj.status == NodeResult.Status.REUSED

    def get_stored(self, obj: NodeResult) -> bool:
        return obj.artifact_id is not None

    def get_preview(self, obj: NodeResult) -> Any:
        return obj.artifact.preview if obj.artifact is not None else None

    def get_model(self, obj: NodeResult) -> Any:
        if not obj.model_name:
            return None
        return {
            "name": obj.model_name,
            "version": obj.model_version,
            "sha256": obj.model_sha256,
        }


class RowsJSONParser(LimitedJSONParser):
    """JSON bodies up to the request limit (rows may be many), checked first."""

    @property
    def max_bytes(self) -> int:  # type: ignore[override]
        return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


class RunListApi(APIView):
    parser_classes = [RowsJSONParser]

    class FilterSerializer(serializers.Serializer[Any]):
        chain = serializers.CharField(required=False, default="", allow_blank=True)
        status = serializers.ChoiceField(
            choices=[("", "any"), *Run.Status.choices], required=False, default=""
        )
        user = serializers.CharField(required=False, default="", allow_blank=True)

    class InputSerializer(serializers.Serializer[Any]):
        chain = serializers.CharField()
        version = serializers.IntegerField(required=False, allow_null=True, min_value=1)
        dataset = serializers.IntegerField(required=False, allow_null=True)
        rows = serializers.ListField(
            child=serializers.DictField(), required=False, allow_null=True
        )
        reuse_from = serializers.IntegerField(required=False, allow_null=True)
        until = serializers.CharField(required=False, default="", allow_blank=True)
        reuse = serializers.BooleanField(required=False, default=True)

    @extend_schema(
        parameters=[FilterSerializer], responses=RunOutputSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        runs = selectors.run_list(**filters.validated_data)
        return _page(request, self, runs, RunOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: RunOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        run = run_services.run_start(
            chain_version=selectors.chain_version_pick(
                chain_name=given["chain"], number=given.get("version")
            ),
            user=request.user,
            dataset=_dataset(given.get("dataset")),
            rows=given.get("rows"),
            reuse_from=_run(given.get("reuse_from")),
            until=given["until"],
            reuse=given["reuse"],
        )
        run = selectors.run_get(run_id=run.id)
        return Response(RunOutputSerializer(run).data, status=status.HTTP_201_CREATED)


def _dataset(dataset_id: int | None) -> Dataset | None:
    if dataset_id is None:
        return None
    found = Dataset.objects.select_related("artifact").filter(id=dataset_id).first()
    if found is None:
        raise CatenaAppError(
            f"There is no data set {dataset_id}.", {"dataset": dataset_id}
        )
    return found


def _run(run_id: int | None) -> Run | None:
    if run_id is None:
        return None
    found = Run.objects.select_related("input", "dataset").filter(id=run_id).first()
    if found is None:
        raise CatenaAppError(f"There is no run {run_id}.", {"reuse_from": run_id})
    return found


class RunDetailApi(APIView):
    @extend_schema(responses=RunOutputSerializer)
    def get(self, request: Request, run_id: int) -> Response:
        run = selectors.run_get(run_id=run_id)
        body = dict(RunOutputSerializer(run).data)
        nodes = selectors.run_nodes(run=run)
        body["nodes"] = NodeResultOutputSerializer(nodes, many=True).data
        return Response(body)


class RunStatusApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, run_id: int) -> Response:
        return Response(selectors.run_status(run_id=run_id))


class RunCancelApi(APIView):
    @extend_schema(request=None, responses=RunOutputSerializer)
    def post(self, request: Request, run_id: int) -> Response:
        run = run_services.run_cancel(
            run=selectors.run_get(run_id=run_id), user=request.user
        )
        return Response(RunOutputSerializer(run).data)


class RunRetryApi(APIView):
    @extend_schema(request=None, responses=RunOutputSerializer)
    def post(self, request: Request, run_id: int) -> Response:
        run = run_services.run_retry(
            run=selectors.run_get(run_id=run_id), user=request.user
        )
        run = selectors.run_get(run_id=run.id)
        return Response(RunOutputSerializer(run).data)


class NodeOutputApi(APIView):
    class FilterSerializer(serializers.Serializer[Any]):
        format = serializers.ChoiceField(
            choices=["csv", "parquet"], required=False, default="parquet"
        )

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[Any, str]:
        # ``?format=`` names the download here, not DRF's renderer override;
        # errors are JSON and downloads are plain Django responses.
        return (JSONRenderer(), JSONRenderer.media_type)

    @extend_schema(parameters=[FilterSerializer], responses=OpenApiTypes.BINARY)
    def get(self, request: Request, run_id: int, node_id: str) -> HttpResponseBase:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        run = get_object_or_404(Run, id=run_id)
        node = selectors.node_result_get(run=run, node_id=node_id)
        return node_output_response(node, filters.validated_data["format"])


def node_output_response(node: NodeResult, fmt: str) -> HttpResponseBase:
    """The stored output as a download; 404 JSON when it is not stored."""
    if node.artifact is None:
        raise CatenaAppError(
            f"Node {node.node_id!r} has no stored output.",
            {"node": node.node_id, "status": node.status},
            status=404,
        )
    name = f"run{node.run_id}-{node.node_id}"
    try:
        if fmt == "parquet":
            from django.core.files.storage import default_storage

            handle = default_storage.open(node.artifact.path, "rb")
            return FileResponse(handle, as_attachment=True, filename=f"{name}.parquet")
        frame = artifact_load(artifact=node.artifact)
    except FileNotFoundError as exc:
        raise CatenaAppError(
            f"The stored output of {node.node_id!r} is gone.",
            {"node": node.node_id},
            status=404,
        ) from exc
    # The index is the row id of the input row each row came from (DESIGN.md).
    label = "row_id"
    while label in frame.columns:
        label = f"_{label}"
    response = HttpResponse(
        frame.to_csv(index=True, index_label=label), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


class NodeForgetApi(APIView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, run_id: int, node_id: str) -> Response:
        run = get_object_or_404(Run, id=run_id)
        node = selectors.node_result_get(run=run, node_id=node_id)
        keys = run_services.node_output_forget(node_result=node, user=request.user)
        return Response({"forgotten": keys})
