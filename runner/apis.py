"""The runner's REST API: data sets, runs, node outputs (see DEVELOPERS.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import fields as strict
from config.downloads import PRESIGNED_REDIRECT
from config.exceptions import CatenaAppError
from config.pagination import page_response as _page
from config.parsers import CatenaJSONParser, json_max_bytes
from runner import selectors, waiting
from runner.downloads import node_output_response
from runner.evaluation_apis import EvaluationSerializer
from runner.models import Dataset, NodeResult, Run
from runner.services import plans, submissions
from runner.services import runs as run_services

#: The largest id a BigAutoField holds; a larger one is a bad request, not a 500.
MAX_ID = 2**63 - 1


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
    continues = serializers.IntegerField(
        source="continues_id",
        allow_null=True,
        help_text="The run up to a node this run continues.",
    )
    resolved = serializers.JSONField()
    chains = serializers.JSONField(
        help_text="chain node id (outer/inner when nested) -> [chain, version, "
        "hash]: the saved chain version each chain step ran"
    )
    error = serializers.CharField()
    attempt = serializers.IntegerField()
    received_at = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    submit_seconds = serializers.FloatField(allow_null=True)
    queued_seconds = serializers.FloatField(allow_null=True)
    ran_seconds = serializers.FloatField(allow_null=True)
    seconds = serializers.FloatField(allow_null=True)
    url = serializers.CharField(source="get_absolute_url")
    evaluation = serializers.SerializerMethodField()

    @extend_schema_field(EvaluationSerializer(allow_null=True))
    def get_evaluation(self, obj: Run) -> Any:
        return selectors.run_evaluation(obj)


class NodeResultOutputSerializer(serializers.Serializer[Any]):
    node_id = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    cache_key = serializers.CharField()
    reused = serializers.SerializerMethodField()
    note = serializers.CharField()
    reused_from = serializers.IntegerField(source="reused_from_id", allow_null=True)
    stored = serializers.SerializerMethodField()
    rows = serializers.IntegerField(allow_null=True)
    schema = serializers.JSONField()
    preview = serializers.SerializerMethodField()
    seconds = serializers.FloatField(allow_null=True)
    load_seconds = serializers.FloatField(
        help_text="Of seconds, those spent loading model files into the worker's "
        "cache (a worker process's first call of a model)."
    )
    model = serializers.SerializerMethodField()
    attempts = serializers.IntegerField()
    hosts = serializers.SerializerMethodField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField()
    traceback = serializers.CharField()

    def get_reused(self, obj: NodeResult) -> bool:
        return obj.status == NodeResult.Status.REUSED

    def get_hosts(self, obj: NodeResult) -> list[str]:
        """The host of each attempt, in order."""
        return [host for host in obj.hosts.split(", ") if host]

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


class RowsJSONParser(CatenaJSONParser):
    """JSON bodies up to the rows' byte limit, checked before anything is read."""

    @property
    def max_bytes(self) -> int:
        return min(
            json_max_bytes(),
            int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
            int(settings.CATENA_MAX_ROWS_BYTES),
        )

    def too_big(self, size: int, maximum: int) -> Exception:
        return CatenaAppError(
            f"The request body is {size} bytes; a run submission may carry at most "
            f"{maximum}. Upload a larger input as a data set (POST /api/datasets/) "
            'and run on it with "dataset".',
            {"limit": "body", "max": maximum, "got": size},
            status=413,
        )


class RunListApi(APIView):
    parser_classes = [RowsJSONParser]

    class FilterSerializer(serializers.Serializer[Any]):
        chain = serializers.CharField(required=False, default="", allow_blank=True)
        status = serializers.ChoiceField(
            choices=[("", "any"), *Run.Status.choices], required=False, default=""
        )
        user = serializers.CharField(required=False, default="", allow_blank=True)
        dataset = serializers.IntegerField(
            required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID
        )

    class InputSerializer(serializers.Serializer[Any]):
        chain = strict.CharField()
        version = strict.IntegerField(required=False, allow_null=True, min_value=1)
        dataset = strict.IntegerField(required=False, allow_null=True)
        rows = serializers.ListField(
            child=serializers.DictField(), required=False, allow_null=True
        )
        reuse_from = strict.IntegerField(required=False, allow_null=True)
        until = strict.CharField(required=False, default="", allow_blank=True)
        reuse = strict.BooleanField(required=False, default=True)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # The user's wait starts here, before authentication and parsing.
        self.received_at = timezone.now()
        super().initial(request, *args, **kwargs)

    @extend_schema(
        parameters=[FilterSerializer], responses=RunOutputSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        runs = selectors.run_list(**filters.validated_data)
        return _page(request, self, runs, RunOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: RunOutputSerializer,
            200: RunOutputSerializer,
            202: RunOutputSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        done = submissions.run_submit(
            user=request.user,
            idempotency_key=submissions.idempotency_key_check(key) if key else "",
            request_hash=submissions.request_hash(dict(given)),
            chain_version=plans.chain_version_pick(
                chain_name=given["chain"], number=given.get("version")
            ),
            dataset=_dataset(given.get("dataset")),
            rows=given.get("rows"),
            reuse_from=_run(given.get("reuse_from")),
            until=given["until"],
            reuse=given["reuse"],
            received_at=self.received_at,
        )
        # A run started now is answered as it was written (queued, or done
        # when every node was reused), without reading it back; a retry's
        # earlier run as it is now.
        run = done.run if done.created else selectors.run_get(run_id=done.run.id)
        body = dict(RunOutputSerializer(run).data)
        if done.unsent:
            body["notice"] = (
                "Queued; the task broker is unreachable, the run starts when it is "
                "back."
            )
            return Response(body, status=status.HTTP_202_ACCEPTED)
        code = status.HTTP_201_CREATED if done.created else status.HTTP_200_OK
        return Response(body, status=code)


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
    class FilterSerializer(serializers.Serializer[Any]):
        wait = serializers.FloatField(
            required=False,
            default=0.0,
            min_value=0.0,
            max_value=waiting.WAIT_MAX_SECONDS,
            help_text="Seconds to wait for the run to finish before answering "
            "(at most 15; 0, the default: answer at once). The answer comes as "
            "soon as the run is no longer active; a server with too many waiting "
            "requests answers at once.",
        )

    @extend_schema(parameters=[FilterSerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, run_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        waiting.run_finished_wait(
            run_id=run_id,
            seconds=filters.validated_data["wait"],
            user_id=request.user.pk,
        )
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

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: OpenApiTypes.BINARY, 302: PRESIGNED_REDIRECT},
    )
    def get(self, request: Request, run_id: int, node_id: str) -> HttpResponseBase:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        run = get_object_or_404(Run, id=run_id)
        node = selectors.node_result_get(run=run, node_id=node_id)
        return node_output_response(node, filters.validated_data["format"])


class NodeForgetApi(APIView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, run_id: int, node_id: str) -> Response:
        run = get_object_or_404(Run, id=run_id)
        node = selectors.node_result_get(run=run, node_id=node_id)
        keys = run_services.node_output_forget(node_result=node, user=request.user)
        return Response({"forgotten": keys})
