"""The registry: upload, alias, trust, list and get models and their versions."""

from __future__ import annotations

import builtins
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from catena_client import frames
from catena_client.errors import NotFound
from catena_client.http import Http

Format = Literal["skops", "onnx"]


@dataclass(frozen=True)
class Model:
    """A registered model (``raw`` holds every field the server sent)."""

    name: str
    title: str
    owner: str
    latest_version: int | None
    aliases: dict[str, int]
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Model:
        return cls(
            name=raw["name"],
            title=raw.get("title", ""),
            owner=raw.get("owner", ""),
            latest_version=raw.get("latest_version"),
            aliases=dict(raw.get("aliases") or {}),
            raw=raw,
        )


@dataclass(frozen=True)
class ModelVersion:
    """One version of a model: its format, signature, metrics and trust."""

    name: str
    number: int
    format: str
    sha256: str
    signature: dict[str, Any]
    metrics: dict[str, Any]
    trusted: bool
    untrusted_types: list[str]
    aliases: list[str]
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def of(cls, name: str, raw: dict[str, Any]) -> ModelVersion:
        return cls(
            name=name,
            number=raw["number"],
            format=raw.get("format", ""),
            sha256=raw.get("sha256", ""),
            signature=dict(raw.get("signature") or {}),
            metrics=dict(raw.get("metrics") or {}),
            trusted=bool(raw.get("trusted")),
            untrusted_types=list(raw.get("untrusted_types") or []),
            aliases=list(raw.get("aliases") or []),
            raw=raw,
        )

    @property
    def features(self) -> list[tuple[str, str]]:
        """The input columns with their dtypes, in order."""
        return [(str(n), str(t)) for n, t in self.signature.get("inputs", [])]


def pages(http: Http, path: str, params: Mapping[str, Any]) -> Iterator[Any]:
    """Every item of a paginated list, following ``next``."""
    query = {k: v for k, v in params.items() if v not in (None, "")}
    query.setdefault("limit", 200)
    body = http.json("GET", path, params=query)
    while True:
        yield from body["results"]
        if not body.get("next"):
            return
        body = http.json("GET", body["next"])


class Models:
    """``client.models``: the model registry."""

    def __init__(self, http: Http) -> None:
        self.http = http

    def upload(
        self,
        name: str,
        estimator_or_path: object,
        *,
        sample: object | None = None,
        metrics: Mapping[str, Any] | None = None,
        notes: str = "",
        title: str = "",
        format: Format = "skops",
    ) -> ModelVersion:
        """Upload a new version of ``name`` (registering the model if new).

        ``estimator_or_path`` is a file path (``.skops``, ``.onnx``, ``.pkl``…)
        or a fitted scikit-learn object, saved with skops, or exported to ONNX
        with ``format="onnx"`` (needs skl2onnx and a numeric ``sample``).
        ``sample`` (a DataFrame of a few input rows) gives the dtypes and is
        run through the model by the server as a check.
        """
        filename, data = model_file(name, estimator_or_path, format, sample)
        files: dict[str, tuple[str, bytes, str]] = {
            "file": (filename, data, "application/octet-stream")
        }
        if sample is not None:
            files["sample"] = ("sample.csv", frames.csv_of(sample), "text/csv")
        form = {"notes": notes, "metrics": json.dumps(metrics) if metrics else ""}
        if not self._exists(name):
            form.update(name=name, title=title)
            made = self.http.json("POST", "/api/models/", data=form, files=files)
            return self.get(name, made["latest_version"])
        path = f"/api/models/{name}/versions/"
        return ModelVersion.of(
            name, self.http.json("POST", path, data=form, files=files)
        )

    def _exists(self, name: str) -> bool:
        try:
            self.http.request("GET", f"/api/models/{name}/")
        except NotFound:
            return False
        return True

    def alias(
        self, name: str, alias: str, version: int, *, force: bool = False
    ) -> dict[str, Any]:
        """Point ``alias`` (e.g. ``"production"``) at ``version``.

        A move that would break a live chain raises :class:`Conflict` (its
        ``extra["impact"]`` says what breaks) unless ``force=True``.
        """
        body = {"alias": alias, "version": version, "force": force}
        answer: dict[str, Any] = self.http.json(
            "POST", f"/api/models/{name}/aliases/", json=body
        )
        return answer

    def trust(self, name: str, version: int, types: builtins.list[str]) -> ModelVersion:
        """Staff only: trust exactly ``types`` (the version's ``untrusted_types``)."""
        path = f"/api/models/{name}/versions/{version}/trust"
        return ModelVersion.of(
            name, self.http.json("POST", path, json={"types": types})
        )

    def list(
        self, *, search: str = "", owner: str = "", team: str = ""
    ) -> builtins.list[Model]:
        """Every registered model (all pages), optionally filtered."""
        query = {"search": search, "owner": owner, "team": team}
        return [Model.of(m) for m in pages(self.http, "/api/models/", query)]

    def get(self, name: str, version: int | None = None) -> ModelVersion:
        """A version of ``name``: the given number, or the latest."""
        if version is None:
            latest = Model.of(self.http.json("GET", f"/api/models/{name}/"))
            if latest.latest_version is None:
                raise NotFound(404, f"Model {name!r} has no version yet.", {})
            version = latest.latest_version
        path = f"/api/models/{name}/versions/{version}/"
        return ModelVersion.of(name, self.http.json("GET", path))

    def resolve(self, name: str, version: int | str = "@latest") -> ModelVersion:
        """The version a chain's reference means now: a number or ``"@alias"``."""
        if isinstance(version, int):
            return self.get(name, version)
        alias = version.removeprefix("@")
        if alias == "latest":
            return self.get(name)
        model = self.info(name)
        if alias not in model.aliases:
            raise NotFound(404, f"Model {name!r} has no alias {alias!r}.", {})
        return self.get(name, model.aliases[alias])

    def info(self, name: str) -> Model:
        """The model itself: title, owner, latest version, aliases."""
        return Model.of(self.http.json("GET", f"/api/models/{name}/"))

    def versions(self, name: str) -> builtins.list[ModelVersion]:
        path = f"/api/models/{name}/versions/"
        return [ModelVersion.of(name, v) for v in pages(self.http, path, {})]


def model_file(
    name: str, thing: object, format: Format, sample: object | None
) -> tuple[str, bytes]:
    """``(filename, bytes)`` of a path or a fitted estimator."""
    if isinstance(thing, str | os.PathLike):
        path = Path(thing)
        return path.name, path.read_bytes()
    if format == "onnx":
        return f"{name}.onnx", onnx_bytes(thing, sample)
    if format != "skops":
        raise ValueError(f"format is 'skops' or 'onnx', not {format!r}")
    try:
        import skops.io as sio
    except ImportError as exc:
        raise ImportError(
            "Saving an estimator needs skops: pip install 'catena-client[sklearn]'"
        ) from exc
    data: bytes = sio.dumps(thing)
    return f"{name}.skops", data


def onnx_bytes(estimator: object, sample: object | None) -> bytes:
    try:
        import numpy as np
        from skl2onnx import to_onnx
    except ImportError as exc:
        raise ImportError(
            "ONNX export needs skl2onnx: pip install 'catena-client[onnx]'"
        ) from exc
    if sample is None or not frames.is_frame(sample):
        raise ValueError("ONNX export needs sample= (a DataFrame of numeric inputs)")
    first = sample.to_numpy(dtype=np.float32)[:1]  # type: ignore[attr-defined]
    proto = to_onnx(estimator, first, target_opset=17)
    data: bytes = proto.SerializeToString()
    return data
