"""Experiments: variants of one node of a chain version, run on stored outputs.

Re-exported by ``runner.models``; the relations are named by string so this
module imports nothing of the app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Experiment(models.Model):
    """Variants of one node ("step two") run against a base run's stored outputs."""

    chain_version = models.ForeignKey(
        "builder.ChainVersion", on_delete=models.PROTECT, related_name="experiments"
    )
    base_run = models.ForeignKey(
        "runner.Run",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="experiments",
        help_text="The run whose stored outputs the variants start from.",
    )
    node_id = models.CharField(max_length=64)
    title = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"experiment {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("runner:experiment_detail", args=[self.pk])


class Variant(models.Model):
    """One replacement of the experiment's node, and the run that tried it."""

    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="variants"
    )
    position = models.PositiveIntegerField()
    label = models.CharField(max_length=200)
    node = models.JSONField(help_text="The replacing node: id, kind, params.")
    run = models.ForeignKey(
        "runner.Run",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="variants",
    )
    metrics = models.JSONField(
        default=dict, blank=True, help_text="Metric name -> value, when scored."
    )

    class Meta:
        ordering = ["experiment", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "position"],
                name="runner_variant_unique_position",
            )
        ]

    def __str__(self) -> str:
        return f"{self.experiment_id}/{self.position}"


class Promotion(models.Model):
    """A variant made the chain's next version, or its model version given an alias."""

    class Kind(models.TextChoices):
        VERSION = "version", "New chain version"
        ALIAS = "alias", "Alias moved"

    variant = models.ForeignKey(
        Variant, on_delete=models.CASCADE, related_name="promotions"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    chain_version = models.ForeignKey(
        "builder.ChainVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    model_name = models.CharField(max_length=200, blank=True)
    model_version = models.PositiveIntegerField(null=True, blank=True)
    alias = models.CharField(max_length=100, blank=True)
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"promotion {self.pk} of {self.variant}"
