"""Endpoint versions: a model served elsewhere recorded like an uploaded file."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from catena.errors import StepTransientError
from catena.schema import Column, schema_from_json, schema_to_json
from config.parsers import unsafe_text
from registry import endpoint_runtime
from registry.models import ModelVersion, RegisteredModel, RemoteEndpoint
from registry.remote import boundary, config, tensors
from registry.remote.adapter import fetch_metadata
from registry.remote.errors import RemoteError
from registry.remote.http import Target
from registry.services.core import (
    _require_change,
    registered_model_create,
    text_check,
)

TIMEOUT_RANGE = (0.1, 600.0)
BATCH_RANGE = (1, 100_000)
PARALLEL_RANGE = (1, 32)
MAX_COLUMNS = 10_000
URL_MAX_LENGTH = 500
NAME_MAX = 200


@dataclass(frozen=True, slots=True)
class EndpointInput:
    """What a user gives for an endpoint version (the form and the API)."""

    url: str
    protocol: str
    signature: dict[str, Any] | None = None
    secret: str = ""
    auth_header: str = "Authorization"
    timeout: float = 30.0
    batch_size: int = 1000
    parallel: int = 4
    notes: str = ""


def endpoint_version_create(
    *, model: RegisteredModel, spec: EndpointInput, uploaded_by: Any
) -> ModelVersion:
    """Check the host, learn the signature, store the next version of ``model``.

    The metadata request happens before the model row is locked.
    """
    _require_change(model=model, user=uploaded_by)
    text_check(field="notes", value=spec.notes)
    _check_settings(spec)
    headers = _headers(spec)
    _check_host(spec.url)
    inputs, outputs, source = _learn(spec, headers)
    signature = {
        "inputs": schema_to_json(tensors.columns_of(inputs)),
        "outputs": {"predict": schema_to_json(tensors.columns_of(outputs))},
    }
    unsafe = unsafe_text(signature)
    if unsafe:
        raise ValidationError({"signature": f"The signature: {unsafe.message}"})
    tensor_json = (
        {"inputs": tensors.to_json(inputs), "outputs": tensors.to_json(outputs)}
        if spec.protocol == RemoteEndpoint.Protocol.V2
        else {}
    )
    identity: dict[str, Any] = {"url": spec.url, "protocol": spec.protocol}
    identity |= {"signature": signature, "tensors": tensor_json}
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    fields = {
        "format": ModelVersion.Format.REMOTE,
        "sha256": hashlib.sha256(canonical.encode()).hexdigest(),
        "size": 0,
        "methods": ["predict"],
        "signature": signature,
        "notes": spec.notes,
        "trusted": True,
        "uploaded_by": uploaded_by,
    }
    endpoint = {
        "url": spec.url,
        "protocol": spec.protocol,
        "tensors": tensor_json,
        "signature_source": source,
        "secret": spec.secret,
        "auth_header": spec.auth_header if spec.secret else "",
        "timeout": spec.timeout,
        "batch_size": spec.batch_size,
        "parallel": spec.parallel,
    }
    return _store(model=model, fields=fields, endpoint=endpoint)


@transaction.atomic
def endpoint_model_create(
    *,
    name: str,
    owner: Any,
    spec: EndpointInput,
    title: str = "",
    description: str = "",
) -> ModelVersion:
    """A new model and its first, endpoint version: both or neither."""
    model = registered_model_create(
        name=name, owner=owner, title=title, description=description
    )
    return endpoint_version_create(model=model, spec=spec, uploaded_by=owner)


def _check_settings(spec: EndpointInput) -> None:
    errors: dict[str, str] = {}
    if len(spec.url) > URL_MAX_LENGTH:
        errors["url"] = f"URLs are at most {URL_MAX_LENGTH} characters."
    if spec.protocol not in RemoteEndpoint.Protocol.values:
        errors["protocol"] = "Choose v2 (Open Inference Protocol) or records."
    checks = (
        ("timeout", spec.timeout, TIMEOUT_RANGE),
        ("batch_size", spec.batch_size, BATCH_RANGE),
        ("parallel", spec.parallel, PARALLEL_RANGE),
    )
    for field, value, (low, high) in checks:
        if not low <= value <= high:
            errors[field] = f"Give a value from {low:g} to {high:g}."
    if spec.secret and spec.secret not in config.secret_names():
        known = ", ".join(config.secret_names()) or "none are configured"
        errors["secret"] = (
            f"No secret {spec.secret!r} in CATENA_REMOTE_SECRETS ({known})."
        )
    if spec.protocol == RemoteEndpoint.Protocol.RECORDS and spec.signature is None:
        errors["signature"] = "JSON records endpoints need a declared signature."
    if errors:
        raise ValidationError(errors)


def _headers(spec: EndpointInput) -> dict[str, str]:
    try:
        return config.auth_headers(secret=spec.secret, header=spec.auth_header)
    except RemoteError as exc:
        raise ValidationError({"secret": str(exc)}) from None


def _check_host(url: str) -> None:
    try:
        target = Target.parse(url)
        boundary.pin(
            target.host,
            target.port,
            endpoint_runtime.allow_list(),
            boundary.system_resolve,
        )
    except RemoteError as exc:
        raise ValidationError({"url": str(exc)}) from None


def _learn(
    spec: EndpointInput, headers: dict[str, str]
) -> tuple[tuple[tensors.Tensor, ...], tuple[tensors.Tensor, ...], str]:
    if spec.signature is not None:
        inputs, outputs = _declared(spec.signature)
        return (
            tensors.from_columns(inputs),
            tensors.from_columns(outputs),
            RemoteEndpoint.Source.DECLARED,
        )
    limits = config.limits(timeout=spec.timeout)
    try:
        found = fetch_metadata(
            spec.url,
            allow=endpoint_runtime.allow_list(),
            limits=limits,
            headers=headers,
        )
    except (RemoteError, StepTransientError) as exc:
        raise ValidationError(
            {
                "signature": f"Could not fetch the model metadata: {exc}. "
                "Declare the signature instead."
            }
        ) from None
    return found[0], found[1], RemoteEndpoint.Source.FETCHED


def _declared(signature: dict[str, Any]) -> tuple[list[Column], list[Column]]:
    """``{"inputs": [[name, dtype], ...], "outputs": [[name, dtype], ...]}``."""
    if not isinstance(signature, dict) or set(signature) != {"inputs", "outputs"}:
        raise ValidationError(
            {"signature": 'Give {"inputs": [[name, dtype], ...], "outputs": [...]}.'}
        )
    parts = []
    for side in ("inputs", "outputs"):
        try:
            schema = list(schema_from_json(signature[side]))
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise ValidationError({"signature": f"{side}: {exc}"}) from None
        names = [c.name for c in schema]
        if not _names_ok(signature[side], names):
            message = f"{side}: column names are text of 1 to {NAME_MAX} characters."
            raise ValidationError({"signature": message})
        if not schema or len(schema) > MAX_COLUMNS or len(set(names)) != len(names):
            raise ValidationError(
                {"signature": f"{side}: give 1 to {MAX_COLUMNS:,} distinct columns."}
            )
        parts.append(schema)
    return parts[0], parts[1]


def _names_ok(items: list[Any], names: list[str]) -> bool:
    texts = all(isinstance(i, (list, tuple)) and isinstance(i[0], str) for i in items)
    return texts and all(1 <= len(n) <= NAME_MAX for n in names)


@transaction.atomic
def _store(
    *, model: RegisteredModel, fields: dict[str, Any], endpoint: dict[str, Any]
) -> ModelVersion:
    RegisteredModel.objects.select_for_update().get(pk=model.pk)
    last = model.versions.aggregate(n=Max("number"))["n"] or 0
    version = ModelVersion(model=model, number=last + 1, **fields)
    version.full_clean()
    version.save()
    row = RemoteEndpoint(version=version, **endpoint)
    row.full_clean()
    row.save()
    return version
