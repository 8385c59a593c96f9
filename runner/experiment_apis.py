"""The experiments API: start, list, one experiment, promote; continue a run."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catena.steps import STEP_KINDS
from config import fields as strict
from config.exceptions import CatenaAppError
from config.pagination import Pagination
from runner import experiment_selectors as selectors
from runner.apis import MAX_ID, RunOutputSerializer, _dataset
from runner.models import Promotion, Run
from runner.selectors import chain_version_pick, run_get
from runner.services import experiments as services
from runner.services.continuing import run_continue


class VariantRowSerializer(serializers.Serializer[Any]):
    position = serializers.IntegerField(source="variant.position")
    # DRF takes declared fields out of the class: "label" shadows nothing.
    label = serializers.CharField(source="variant.label")  # type: ignore[assignment]
    node = serializers.JSONField(
        source="variant.node", help_text="The replacing node: id, kind, params."
    )
    run = serializers.IntegerField(source="variant.run_id", allow_null=True)
    run_url = serializers.SerializerMethodField()
    status = serializers.CharField()
    seconds = serializers.FloatField(
        allow_null=True, help_text="From submission to the variant run's end."
    )
    compute_seconds = serializers.FloatField(
        help_text="Time spent computing nodes (reused nodes take none)."
    )
    computed = serializers.IntegerField(help_text="Nodes computed by this variant.")
    reused = serializers.IntegerField(help_text="Nodes reused from stored outputs.")
    total = serializers.IntegerField()
    metrics = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Metric name -> value, when the run is scored (else empty).",
    )

    def get_run_url(self, obj: selectors.VariantRow) -> str | None:
        run = obj.variant.run
        return run.get_absolute_url() if run is not None else None


class PromotionOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    variant = serializers.IntegerField(source="variant.position")
    kind = serializers.ChoiceField(choices=Promotion.Kind.choices)
    chain_version = serializers.IntegerField(
        source="chain_version.number", allow_null=True, default=None
    )
    model = serializers.CharField(source="model_name")
    model_version = serializers.IntegerField(allow_null=True)
    alias = serializers.CharField()
    promoted_by = serializers.CharField(source="promoted_by.username")
    created = serializers.DateTimeField()


class ExperimentListOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    chain = serializers.CharField(source="chain_version.chain.name")
    version = serializers.IntegerField(source="chain_version.number")
    node = serializers.CharField(source="node_id")
    title = serializers.CharField()
    base_run = serializers.IntegerField(source="base_run_id", allow_null=True)
    created_by = serializers.CharField(source="created_by.username")
    created = serializers.DateTimeField()
    variant_total = serializers.IntegerField()
    variant_active = serializers.IntegerField()
    variant_failed = serializers.IntegerField()
    url = serializers.CharField(source="get_absolute_url")


class MetricBarSerializer(serializers.Serializer[Any]):
    variant = serializers.IntegerField(source="position", help_text="Its position.")
    label = serializers.CharField()  # type: ignore[assignment]
    value = serializers.FloatField()


class MetricVariantSerializer(serializers.Serializer[Any]):
    variant = serializers.IntegerField(source="position", help_text="Its position.")
    label = serializers.CharField()  # type: ignore[assignment]


class MetricChartSerializer(serializers.Serializer[Any]):
    metric = serializers.CharField()
    title = serializers.CharField(help_text="The metric's name for people (R², ...).")
    better = serializers.ChoiceField(
        choices=["lower", "higher"], help_text="Which values are the better ones."
    )
    bars = MetricBarSerializer(
        many=True, help_text="One per variant with a value, the best first."
    )
    missing = MetricVariantSerializer(
        many=True, help_text="Variants without a value for this metric (yet)."
    )


class SampleColumnSerializer(serializers.Serializer[Any]):
    variant = serializers.IntegerField(help_text="The variant's position.")
    label = serializers.CharField()  # type: ignore[assignment]
    column = serializers.CharField(help_text="A column of the variant's output.")


class SampleRowSerializer(serializers.Serializer[Any]):
    id = serializers.JSONField(help_text="The row id (the table's index).")
    inputs = serializers.ListField(
        child=serializers.JSONField(allow_null=True),
        help_text="Cells of the input columns.",
    )
    target = serializers.JSONField(
        allow_null=True, help_text="The target's value (null: none or missing)."
    )
    values = serializers.ListField(
        child=serializers.JSONField(allow_null=True),
        help_text="One cell per sample column (null: missing).",
    )


class SampleSerializer(serializers.Serializer[Any]):
    node = serializers.CharField(
        help_text="The node whose output is shown: the chain's output node."
    )
    inputs = serializers.ListField(
        child=serializers.CharField(), help_text="A few columns of the input."
    )
    target = serializers.CharField(help_text="The target column (empty: none).")
    columns = SampleColumnSerializer(many=True)
    rows = SampleRowSerializer(many=True)
    cut = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Variants with more output columns than the sample shows.",
    )


class ExperimentOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="experiment.id")
    chain = serializers.CharField(source="experiment.chain_version.chain.name")
    version = serializers.IntegerField(source="experiment.chain_version.number")
    node = serializers.CharField(source="experiment.node_id")
    title = serializers.CharField(source="experiment.title")
    base_run = serializers.IntegerField(
        source="experiment.base_run_id", allow_null=True
    )
    created_by = serializers.CharField(source="experiment.created_by.username")
    created = serializers.DateTimeField(source="experiment.created")
    status = serializers.CharField()
    active = serializers.BooleanField()
    done = serializers.IntegerField()
    metric_names = serializers.ListField(child=serializers.CharField())
    variants = VariantRowSerializer(source="rows", many=True)
    charts = MetricChartSerializer(
        many=True,
        help_text="With a target: one bar chart per metric, the variants best first.",
    )
    sample = SampleSerializer(
        help_text="The first rows of every succeeded variant's output, side by side "
        "(read from the stored previews)."
    )
    promotions = PromotionOutputSerializer(many=True)
    url = serializers.CharField(source="experiment.get_absolute_url")


#: The kinds a node may be replaced by: the palette's steps.
VARIANT_KINDS = sorted(
    k for k in STEP_KINDS if "." not in k and k not in ("input", "output")
)


class VariantInputSerializer(serializers.Serializer[Any]):
    label = strict.CharField(  # type: ignore[assignment]
        required=False, default="", allow_blank=True, max_length=200
    )
    kind = serializers.ChoiceField(
        choices=VARIANT_KINDS,
        required=False,
        allow_blank=True,
        default="",
        help_text="Another step kind in the node's place (default: the same).",
    )
    params = serializers.DictField(
        required=False,
        default=dict,
        help_text="Same kind: merged over the node's params; another kind: its params.",
    )


class VariantListField(serializers.ListField):
    def to_internal_value(self, data: Any) -> Any:
        # The count is checked before any variant is read.
        if isinstance(data, list):
            services.variants_count_check(len(data))
        return super().to_internal_value(data)


class ExperimentListApi(APIView):
    class FilterSerializer(serializers.Serializer[Any]):
        chain = serializers.CharField(
            required=False, default="", allow_blank=True, max_length=200
        )

    class InputSerializer(serializers.Serializer[Any]):
        run = strict.IntegerField(
            required=False,
            allow_null=True,
            min_value=1,
            max_value=MAX_ID,
            help_text="The base run whose stored outputs the variants start from.",
        )
        variants = VariantListField(
            child=VariantInputSerializer(), max_length=services.MAX_VARIANTS
        )
        chain = strict.CharField(required=False, default="", max_length=200)
        version = strict.IntegerField(
            required=False, allow_null=True, min_value=1, max_value=MAX_ID
        )
        dataset = strict.IntegerField(
            required=False, allow_null=True, min_value=1, max_value=MAX_ID
        )
        node = strict.CharField(max_length=64)
        title = strict.CharField(
            required=False, default="", allow_blank=True, max_length=200
        )

    @extend_schema(
        parameters=[FilterSerializer],
        responses=ExperimentListOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        experiments = selectors.experiment_list(**filters.validated_data)
        paginator = Pagination()
        page = paginator.paginate_queryset(experiments, request, view=self)
        body = ExperimentListOutputSerializer(page, many=True).data
        return paginator.get_paginated_response(body)

    @extend_schema(request=InputSerializer, responses={201: ExperimentOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        experiment = services.experiment_start(
            user=request.user,
            base_run=_base_run(given),
            node_id=given["node"],
            variants=[dict(v) for v in given["variants"]],
            title=given["title"],
        )
        summary = selectors.experiment_summary(experiment=experiment)
        body = ExperimentOutputSerializer(summary).data
        return Response(body, status=status.HTTP_201_CREATED)


def _base_run(given: dict[str, Any]) -> Run:
    """The run given, else the newest fitting run of the chain version on the
    data set given."""
    if given.get("run") is not None:
        return run_get(run_id=given["run"])
    if not given["chain"] or given.get("dataset") is None:
        raise CatenaAppError(
            'Give the base "run", or a "chain" (and "version") with a "dataset".',
            {"fields": {"run": ["Required without chain and dataset."]}},
        )
    version = chain_version_pick(chain_name=given["chain"], number=given.get("version"))
    dataset = _dataset(given["dataset"])
    assert dataset is not None  # noqa: S101 - the id was given
    return services.experiment_base_run(
        chain_version=version, dataset=dataset, node_id=given["node"]
    )


class ExperimentDetailApi(APIView):
    class FilterSerializer(serializers.Serializer[Any]):
        sort = serializers.CharField(
            required=False,
            default="",
            allow_blank=True,
            max_length=100,
            help_text="position, label, status, seconds, compute_seconds, computed "
            "or metric:<name>; a leading - sorts descending",
        )

    @extend_schema(parameters=[FilterSerializer], responses=ExperimentOutputSerializer)
    def get(self, request: Request, experiment_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        experiment = selectors.experiment_get(experiment_id=experiment_id)
        summary = selectors.experiment_summary(
            experiment=experiment, sort=filters.validated_data["sort"]
        )
        return Response(ExperimentOutputSerializer(summary).data)


class ExperimentPromoteApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        variant = strict.IntegerField(
            min_value=0, max_value=MAX_ID, help_text="The variant's position."
        )
        to = serializers.ChoiceField(
            choices=Promotion.Kind.choices,
            help_text="version: a new chain version; alias: move an alias of the "
            "variant's model to its version",
        )
        alias = strict.CharField(
            required=False, default="", allow_blank=True, max_length=100
        )

    @extend_schema(request=InputSerializer, responses={201: PromotionOutputSerializer})
    def post(self, request: Request, experiment_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        experiment = selectors.experiment_get(experiment_id=experiment_id)
        promotion = services.experiment_promote(
            variant=selectors.variant_get(
                experiment=experiment, position=given["variant"]
            ),
            user=request.user,
            to=given["to"],
            alias=given["alias"],
        )
        body = PromotionOutputSerializer(promotion).data
        return Response(body, status=status.HTTP_201_CREATED)


class RunContinueApi(APIView):
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.received_at = timezone.now()
        super().initial(request, *args, **kwargs)

    @extend_schema(request=None, responses={201: RunOutputSerializer})
    def post(self, request: Request, run_id: int) -> Response:
        run = run_continue(
            run=run_get(run_id=run_id),
            user=request.user,
            received_at=self.received_at,
        )
        body = RunOutputSerializer(run_get(run_id=run.id)).data
        return Response(body, status=status.HTTP_201_CREATED)
