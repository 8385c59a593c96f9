"""Registered models, their immutable numbered versions, aliases and trust records."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import validate_slug
from django.db import models
from django.urls import reverse


def version_upload_to(instance: ModelVersion, filename: str) -> str:
    """``registry/<model>/<number>-<sha12>.<ext>``: unique, readable, immutable."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    name = instance.model.name
    number = instance.number
    short = instance.sha256[:12]
    return f"registry/{name}/{number}-{short}.{ext}"


def sample_upload_to(instance: ModelVersion, filename: str) -> str:
    name = instance.model.name
    number = instance.number
    return f"registry/{name}/{number}-sample.csv"


class RegisteredModel(models.Model):
    name = models.SlugField(max_length=100, unique=True, validators=[validate_slug])
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The owning team: every member may change the object. ``owner`` stays the
    # creator, who keeps the right to change it too.
    team = models.ForeignKey(
        "auth.Group",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("registry:model_detail", args=[self.name])


class ModelVersion(models.Model):
    class Format(models.TextChoices):
        SKOPS = "skops", "skops"
        ONNX = "onnx", "ONNX"
        PICKLE = "pickle", "pickle"
        JOBLIB = "joblib", "joblib"
        REMOTE = "remote", "remote endpoint"

    model = models.ForeignKey(
        RegisteredModel, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    # Empty for a remote endpoint: its ``endpoint`` row says where it is served.
    file = models.FileField(upload_to=version_upload_to, max_length=300, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=10, choices=Format.choices)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    library = models.CharField(max_length=50, blank=True)
    library_version = models.CharField(max_length=50, blank=True)
    python_version = models.CharField(max_length=30, blank=True)
    sklearn_version = models.CharField(max_length=30, blank=True)
    numpy_version = models.CharField(max_length=30, blank=True)
    methods = models.JSONField(default=list, blank=True)
    # {"inputs": [[name, dtype], ...], "outputs": {method: [[name, dtype], ...]}}
    signature = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)
    sample = models.FileField(upload_to=sample_upload_to, blank=True, max_length=300)
    # Types a skops file needs beyond skops' defaults, found without loading it.
    untrusted_types = models.JSONField(default=list, blank=True)
    trusted = models.BooleanField(default=False)
    # Warnings raised while loading the model (e.g. InconsistentVersionWarning).
    load_warnings = models.JSONField(default=list, blank=True)
    # A stacker's training: [{"model": name, "version": number}, ...], the
    # versions whose outputs were its features.
    trained_on = models.JSONField(default=list, blank=True)
    out_of_fold = models.BooleanField(
        null=True,
        blank=True,
        help_text="Whether the features it was trained on were out-of-fold "
        "(cross-validated) predictions; null when unknown.",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["model", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "number"], name="registry_version_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="registry_version_number_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model.name} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("registry:version_detail", args=[self.model.name, self.number])

    @property
    def is_pickle(self) -> bool:
        return self.format in (self.Format.PICKLE, self.Format.JOBLIB)

    @property
    def needs_trust(self) -> bool:
        return not self.trusted

    @property
    def inputs(self) -> list[Any]:
        return list(self.signature.get("inputs", []))

    @property
    def outputs(self) -> dict[str, Any]:
        return dict(self.signature.get("outputs", {}))


class Alias(models.Model):
    model = models.ForeignKey(
        RegisteredModel, on_delete=models.CASCADE, related_name="aliases"
    )
    name = models.SlugField(max_length=50)
    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="aliases"
    )
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    moved = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "name"], name="registry_alias_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model.name}@{self.name}"


class AliasMove(models.Model):
    """One move of an alias: the history shown on the model page."""

    model = models.ForeignKey(
        RegisteredModel, on_delete=models.CASCADE, related_name="alias_moves"
    )
    alias = models.SlugField(max_length=50)
    from_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, null=True, related_name="+"
    )
    to_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="+"
    )
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    moved = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-moved", "-id"]

    def __str__(self) -> str:
        return f"{self.model.name}@{self.alias} -> v{self.to_version.number}"


class AliasMoveBreak(models.Model):
    """One error a forced alias move caused in a chain version it reached.

    The chain is kept by name: the registry knows nothing of chains.
    """

    move = models.ForeignKey(AliasMove, on_delete=models.CASCADE, related_name="breaks")
    chain = models.CharField(max_length=100, db_index=True)
    chain_version = models.PositiveIntegerField()
    live = models.BooleanField(default=False)
    node = models.CharField(max_length=100, blank=True)
    code = models.CharField(max_length=50)
    data = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-move__moved", "-move_id", "chain", "node"]

    def __str__(self) -> str:
        return f"{self.move}: {self.chain} v{self.chain_version} {self.code}"


class TrustRecord(models.Model):
    """A staff decision to trust one version: the exact types, who and when."""

    version = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="trust_records"
    )
    types = models.JSONField(default=list, blank=True)
    trusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"trust {self.version} by {self.trusted_by_id}"


class RemoteEndpoint(models.Model):
    """Where a remote model version is served and how it is called.

    The URL, protocol and tensors are part of the version (its sha256 covers
    them); the timeout, batching and auth secret are how it is reached. The
    secret is a name in ``CATENA_REMOTE_SECRETS``: its value is never stored.
    """

    class Protocol(models.TextChoices):
        V2 = "v2", "Open Inference Protocol V2"
        RECORDS = "records", "JSON records"

    class Source(models.TextChoices):
        FETCHED = "fetched", "fetched from the endpoint"
        DECLARED = "declared", "declared on the form"

    version = models.OneToOneField(
        ModelVersion, on_delete=models.PROTECT, related_name="endpoint"
    )
    # Not a URLField: cluster-internal names without a dot (http://ranker:8080)
    # are common; services check the scheme and the host.
    url = models.CharField(max_length=500)
    protocol = models.CharField(max_length=10, choices=Protocol.choices)
    # V2 only: {"inputs": [{"name", "datatype", "shape"}], "outputs": [...]}.
    tensors = models.JSONField(default=dict, blank=True)
    signature_source = models.CharField(max_length=10, choices=Source.choices)
    secret = models.CharField(max_length=100, blank=True)
    auth_header = models.CharField(max_length=100, blank=True, default="Authorization")
    timeout = models.FloatField(default=30.0)
    batch_size = models.PositiveIntegerField(default=1000)
    parallel = models.PositiveIntegerField(default=4)

    def __str__(self) -> str:
        return f"{self.version} at {self.url}"


class AllowedHost(models.Model):
    """A host, address or network remote models may be called at (admin page).

    Adds to ``CATENA_HTTP_ALLOWED_HOSTS``. An address or network entry also
    permits internal addresses (loopback, private) it holds.
    """

    entry = models.CharField(max_length=255, unique=True)
    note = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entry"]

    def __str__(self) -> str:
        return self.entry

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from registry.remote.boundary import AllowList

        try:
            AllowList.parse([self.entry])
        except ValueError as exc:
            raise ValidationError({"entry": str(exc)}) from None
