"""Writes of the registry: models, versions, aliases, trust decisions."""

from __future__ import annotations

from registry.services.aliases import alias_set
from registry.services.core import (
    METRICS_MAX_CHARS,
    NAME_MAX_LENGTH,
    RESERVED_ALIASES,
    TEXT_MAX_LENGTH,
    can_change,
    can_give,
    max_upload_bytes,
    metrics_parse,
    model_version_create,
    registered_model_create,
    registered_model_team_set,
    registered_model_upload,
    sandbox_limits,
    text_check,
    upload_too_big,
)
from registry.services.trust import model_version_trust

__all__ = [
    "METRICS_MAX_CHARS",
    "NAME_MAX_LENGTH",
    "RESERVED_ALIASES",
    "TEXT_MAX_LENGTH",
    "alias_set",
    "can_change",
    "can_give",
    "max_upload_bytes",
    "metrics_parse",
    "model_version_create",
    "model_version_trust",
    "registered_model_create",
    "registered_model_team_set",
    "registered_model_upload",
    "sandbox_limits",
    "text_check",
    "upload_too_big",
]
