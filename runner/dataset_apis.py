"""The runner's data set API: list, upload, and the target column."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import fields as strict
from config.pagination import page_response as _page
from runner import selectors
from runner.models import Dataset
from runner.services import datasets as dataset_services


# Data sets -----------------------------------------------------------------------
class DatasetOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    owner = serializers.CharField(source="owner.username")
    format = serializers.CharField()
    original_name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    target = serializers.CharField()
    rows = serializers.IntegerField(source="artifact.rows")
    schema = serializers.JSONField(source="artifact.schema")
    preview = serializers.JSONField(source="artifact.preview")
    created = serializers.DateTimeField()


class SameContentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    owner = serializers.CharField(source="owner.username")
    url = serializers.CharField(source="get_absolute_url")


class DatasetCreatedSerializer(DatasetOutputSerializer):
    same_content_as = serializers.SerializerMethodField()

    @extend_schema_field(SameContentSerializer(many=True))
    def get_same_content_as(self, obj: Dataset) -> Any:
        same = selectors.dataset_same_content(dataset=obj)
        return SameContentSerializer(same, many=True).data


class DatasetListApi(APIView):
    parser_classes = [MultiPartParser]

    class FilterSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(
            required=False, default="", allow_blank=True, max_length=200
        )
        search = serializers.CharField(
            required=False, default="", allow_blank=True, max_length=200
        )
        owner = serializers.CharField(
            required=False, default="", allow_blank=True, max_length=150
        )
        sha256 = serializers.RegexField(
            r"^[0-9a-fA-F]{4,64}$",
            required=False,
            default="",
            allow_blank=True,
            help_text="The stored file's sha256, or its first 4 or more hex digits.",
        )

    class InputSerializer(serializers.Serializer[Any]):
        name = strict.CharField(max_length=200, required=False, default="")
        description = strict.CharField(required=False, default="", allow_blank=True)
        file = serializers.FileField()
        target = strict.CharField(
            max_length=200, required=False, default="", allow_blank=True
        )

    @extend_schema(
        parameters=[FilterSerializer], responses=DatasetOutputSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        datasets = selectors.dataset_list(**filters.validated_data)
        return _page(request, self, datasets, DatasetOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: DatasetCreatedSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dataset = dataset_services.dataset_create(
            owner=request.user, **data.validated_data
        )
        body = DatasetCreatedSerializer(dataset).data
        return Response(body, status=status.HTTP_201_CREATED)


class DatasetTargetApi(APIView):
    """Name the column runs on the data set are scored against ("" for none)."""

    class InputSerializer(serializers.Serializer[Any]):
        target = strict.CharField(max_length=200, allow_blank=True)

    class OutputSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        name = serializers.CharField()
        target = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def put(self, request: Request, dataset_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dataset = selectors.dataset_get(dataset_id=dataset_id)
        dataset = dataset_services.dataset_target_set(
            dataset=dataset, target=data.validated_data["target"], user=request.user
        )
        return Response(self.OutputSerializer(dataset).data)
