"""Chains, their immutable numbered versions, and per-user drafts."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse

#: Chain names, node ids and model references are at most this long.
NAME_MAX_LENGTH = 80


class Chain(models.Model):
    name = models.SlugField(max_length=NAME_MAX_LENGTH, unique=True)
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chains"
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
    updated = models.DateTimeField(auto_now=True)
    live_version = models.ForeignKey(
        "ChainVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("builder:chain_detail", args=[self.name])

    @property
    def display_title(self) -> str:
        return self.title or self.name


class ChainVersion(models.Model):
    """One saved, valid graph document; never changed once written."""

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    document = models.JSONField()
    hash = models.CharField(max_length=64, db_index=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["chain", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["chain", "number"], name="builder_chainversion_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chain.name} v{self.number}"

    def get_absolute_url(self) -> str:
        url = reverse("builder:chain_detail", args=[self.chain.name])
        return f"{url}?version={self.number}"


class ChainVersionModel(models.Model):
    """A model reference of a version, kept in rows so the registry can ask
    "which chains use this model?" without reading JSON documents."""

    version = models.ForeignKey(
        ChainVersion, on_delete=models.CASCADE, related_name="model_refs"
    )
    node_id = models.CharField(max_length=NAME_MAX_LENGTH)
    model_name = models.CharField(max_length=200, db_index=True)
    reference = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "node_id"], name="builder_chainversionmodel_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version}: {self.node_id} -> {self.model_name}"


class ChainDraft(models.Model):
    """Unsaved editor work of one user on one chain; may be invalid."""

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    document = models.JSONField()
    base_number = models.PositiveIntegerField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["chain", "user"], name="builder_chaindraft_unique_user"
            ),
        ]

    def __str__(self) -> str:
        return f"draft of {self.chain.name} by {self.user_id}"
