"""Endpoint versions made callable: their rows, the allow-list rows, settings."""

from __future__ import annotations

from django.conf import settings

from catena.resolving import Signature
from catena.schema import schema_from_json
from registry.models import AllowedHost, ModelVersion
from registry.remote import tensors as tz
from registry.remote.adapter import Endpoint, RemoteModel
from registry.remote.boundary import AllowList
from registry.remote.config import auth_headers, limits
from registry.remote.errors import RemoteError


def allow_list() -> AllowList:
    """``CATENA_HTTP_ALLOWED_HOSTS`` and the allowed hosts admin page, now."""
    entries = list(settings.CATENA_HTTP_ALLOWED_HOSTS)
    entries += AllowedHost.objects.values_list("entry", flat=True)
    try:
        return AllowList.parse(entries)
    except ValueError as exc:
        raise RemoteError(f"the allow-list has a bad entry: {exc}") from None


def endpoint_of(version: ModelVersion) -> Endpoint:
    """The callable description of an endpoint version, from its rows."""
    row = version.endpoint
    data = version.signature or {}
    outputs = {m: schema_from_json(s) for m, s in data.get("outputs", {}).items()}
    tensors = row.tensors or {}
    return Endpoint(
        url=row.url,
        protocol=row.protocol,
        signature=Signature(schema_from_json(data.get("inputs", [])), outputs),
        # JSON records endpoints have no tensors.
        inputs=tz.load_json(tensors["inputs"], single_names=True) if tensors else (),
        outputs=tz.load_json(tensors["outputs"], single_names=False) if tensors else (),
        batch_size=row.batch_size,
        parallel=row.parallel,
        limits=limits(timeout=row.timeout),
    )


def adapter_for(version: ModelVersion) -> RemoteModel:
    """The loaded model of an endpoint version; the allow-list and the secret
    are read at each call, so removing a host stops calls to it at once."""
    row = version.endpoint

    def current() -> tuple[AllowList, dict[str, str]]:
        return allow_list(), auth_headers(secret=row.secret, header=row.auth_header)

    return RemoteModel(endpoint_of(version), current)
