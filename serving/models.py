"""How a chain is served (log, variants), what changed it, and what it answered."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from builder.models import Chain


class ChainServing(models.Model):
    """A chain's serving settings; a chain without a row has the defaults."""

    chain = models.OneToOneField(Chain, on_delete=models.CASCADE, related_name="+")
    log_enabled = models.BooleanField(default=False)
    log_rate = models.FloatField(
        default=1.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    log_days = models.PositiveIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    # {"split": [{"version": 1, "weight": 90}, ...], "shadows": [3], "key": "id"};
    # checked by serving.variants.variants_clean before it is stored.
    variants = models.JSONField(default=dict, blank=True)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"serving of {self.chain_id}"


class ServingChange(models.Model):
    """One change of a chain's serving settings: who, when, from what to what."""

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    summary = models.CharField(max_length=500)
    before = models.JSONField()
    after = models.JSONField()

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.summary


class PredictionLog(models.Model):
    """One logged answer of one variant to one request (inputs and outputs capped)."""

    class Role(models.TextChoices):
        SERVED = "served"
        SHADOW = "shadow"

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    # Ties a shadow's entry to the served entry of the same request.
    request = models.UUIDField()
    role = models.CharField(max_length=10, choices=Role.choices)
    variant = models.CharField(max_length=20)
    version = models.PositiveIntegerField(null=True)
    status = models.PositiveSmallIntegerField()
    latency_ms = models.FloatField()
    rate = models.FloatField()
    rows = models.PositiveIntegerField()
    inputs = models.JSONField()
    outputs = models.JSONField()
    used_models = models.JSONField()
    error = models.CharField(max_length=500, blank=True)
    # Shadows only: mean absolute difference of the numeric output columns from
    # the served answer, and the share of rows with any differing value.
    diff_mean = models.FloatField(null=True)
    diff_share = models.FloatField(null=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(
                fields=["chain", "-created"], name="serving_log_chain_created"
            ),
            models.Index(fields=["created"], name="serving_log_created"),
        ]

    def __str__(self) -> str:
        return f"{self.chain_id} {self.variant} {self.created:%Y-%m-%d %H:%M:%S}"
