"""Data sets, stored node outputs (artifacts), runs and node results."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Artifact(models.Model):
    """One table stored once under its key: a node output or a data set's rows.

    The file is Parquet at ``path`` in the default storage. ``parents`` records
    which stored outputs it was computed from, so forgetting an output can
    forget everything computed from it.
    """

    key = models.CharField(max_length=64, unique=True)
    path = models.CharField(max_length=300)
    rows = models.PositiveBigIntegerField(default=0)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(
        max_length=64, blank=True, help_text="Of the file; checked before reuse."
    )
    environment = models.JSONField(
        default=dict,
        blank=True,
        help_text="What it was computed with: library and step code versions.",
    )
    schema = models.JSONField(default=list, blank=True)
    preview = models.JSONField(default=dict, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    run = models.ForeignKey(
        "runner.Run",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The run that computed it.",
    )
    # Up to 8 nested chain nodes (``outer/inner/...``), 64 characters each,
    # and a part's suffix (``<id>.whatif``).
    node_id = models.CharField(max_length=600, blank=True)
    parents = models.ManyToManyField(
        "self", symmetrical=False, related_name="children", blank=True
    )
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key[:12]


class Dataset(models.Model):
    """An uploaded table a run can take as its input."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        PARQUET = "parquet", "Parquet"

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="datasets"
    )
    artifact = models.ForeignKey(
        Artifact, on_delete=models.PROTECT, related_name="datasets"
    )
    original_name = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=10, choices=Format.choices)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        help_text="Of the stored Parquet file: equal tables have equal hashes.",
    )
    target = models.CharField(
        max_length=200,
        blank=True,
        help_text="The column runs on it are scored against; empty: unlabelled.",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            # Pickers show data sets by name: one owner's must differ.
            models.UniqueConstraint(
                fields=["owner", "name"], name="runner_dataset_unique_owner_name"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("runner:dataset_detail", args=[self.pk])


class Run(models.Model):
    """One execution of a chain version on one input table."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    chain_version = models.ForeignKey(
        "builder.ChainVersion", on_delete=models.PROTECT, related_name="runs"
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="runs"
    )
    dataset = models.ForeignKey(
        Dataset, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    input = models.ForeignKey(Artifact, on_delete=models.PROTECT, related_name="+")
    input_rows = models.PositiveBigIntegerField(default=0)
    until = models.CharField(max_length=64, blank=True)
    reuse = models.BooleanField(default=True)
    reused_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved = models.JSONField(
        default=dict, blank=True, help_text="node id -> [model, version, sha256]"
    )
    chains = models.JSONField(
        default=dict,
        blank=True,
        help_text="chain node id (outer/inner for nested ones) -> "
        "[chain, version, hash]: the saved chain version each chain step ran",
    )
    error = models.TextField(blank=True)
    target = models.CharField(
        max_length=200,
        blank=True,
        help_text="The data set's target column when the run started: it is scored.",
    )
    evaluation = models.JSONField(
        default=dict,
        blank=True,
        help_text="Metrics per scored node, computed after the last node.",
    )
    attempt = models.PositiveIntegerField(default=1)
    received_at = models.DateTimeField(
        null=True, blank=True, help_text="When the request that started it arrived."
    )
    # Set by run_start, not auto_now_add, so that submit_seconds is exactly
    # the gap between received_at and created.
    created = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    submit_seconds = models.FloatField(
        null=True,
        blank=True,
        help_text="The submission's own share: validation, keys, input rows.",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField()
    idempotency_key = models.CharField(
        max_length=255,
        blank=True,
        help_text="The submitter's Idempotency-Key header: one run per user and key.",
    )
    request_hash = models.CharField(
        max_length=64, blank=True, help_text="sha256 of the submission it answered."
    )
    document = models.JSONField(
        null=True,
        blank=True,
        help_text="The document run when it is not the chain version's own "
        "(an experiment's variant: the version with one node replaced).",
    )
    document_hash = models.CharField(max_length=64, blank=True, db_index=True)
    continues = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="continued_by",
        help_text="The run up to a node this run continues from.",
    )

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            # A client retrying a submission gets its run back, never a second.
            models.UniqueConstraint(
                fields=["started_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="runner_run_unique_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"run {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("runner:run_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def since(self) -> datetime:
        """When the user's wait began: the request's arrival (older runs: created)."""
        return self.received_at or self.created

    @property
    def seconds(self) -> float | None:
        """Wall time from the request's arrival to the end (None while running)."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.since).total_seconds()

    @property
    def queued_seconds(self) -> float | None:
        """From the run written to its first node starting."""
        if self.started_at is None:
            return None
        return max((self.started_at - self.created).total_seconds(), 0.0)

    @property
    def ran_seconds(self) -> float | None:
        """From the first node starting to the end."""
        if self.started_at is None or self.finished_at is None:
            return None
        return max((self.finished_at - self.started_at).total_seconds(), 0.0)


class NodeResult(models.Model):
    """What one node of a run did; workers claim these rows."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        REUSED = "reused", "Reused"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        CANCELLED = "cancelled", "Cancelled"

    DONE = (Status.SUCCEEDED, Status.REUSED)
    ACTIVE = (Status.PENDING, Status.QUEUED, Status.RUNNING)

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="nodes")
    # Up to 8 nested chain nodes (``outer/inner/...``), 64 characters each,
    # and a part's suffix (``<id>.whatif``).
    node_id = models.CharField(max_length=600)
    kind = models.CharField(max_length=32)
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PENDING
    )
    cache_key = models.CharField(max_length=64)
    lineage_key = models.CharField(
        max_length=64,
        blank=True,
        help_text="The key without library and step code versions.",
    )
    artifact = models.ForeignKey(
        Artifact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(
        blank=True, help_text="Why a stored output was not reused, if one was found."
    )
    reused_from = models.ForeignKey(
        Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rows = models.PositiveBigIntegerField(null=True, blank=True)
    schema = models.JSONField(default=list, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    load_seconds = models.FloatField(
        default=0.0,
        help_text="Of its seconds, those spent loading model files into the "
        "worker's cache (a worker process's first call of a model).",
    )
    model_name = models.CharField(max_length=200, blank=True)
    model_version = models.PositiveIntegerField(null=True, blank=True)
    model_sha256 = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    hosts = models.CharField(
        max_length=400,
        blank=True,
        help_text="The host of each attempt, in order, comma-separated.",
    )
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "node_id"], name="runner_node_result_unique_node"
            )
        ]
        indexes = [
            models.Index(
                fields=["status", "lease_expires_at"], name="runner_nr_status_lease"
            ),
            models.Index(fields=["cache_key"], name="runner_nr_cache_key"),
            models.Index(fields=["lineage_key"], name="runner_nr_lineage_key"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.node_id}"


from runner.experiment_models import Experiment, Promotion, Variant  # noqa: E402

__all__ = [
    "Artifact",
    "Dataset",
    "Experiment",
    "NodeResult",
    "Promotion",
    "Run",
    "Variant",
]
