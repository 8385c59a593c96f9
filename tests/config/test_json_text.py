"""NUL and lone surrogates in JSON are a 400 at every door, and nothing is stored.

Python decodes ``"\\ud800"`` and ``"\\u0000"`` happily; SQLite, Parquet and the
pages cannot encode the first, PostgreSQL refuses the second. Each test sends
the character once as a value and once as a key, and checks every table and the
media folder are as they were.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from builder.bundle import MANIFEST
from builder.models import Chain, ChainDraft, ChainVersion
from registry.models import ModelVersion, RegisteredModel
from runner.models import Artifact, Dataset, NodeResult, Run
from tests.registry import files
from tests.runner.conftest import linear_doc

BAD = {"lone surrogate": "\ud800", "low surrogate": "\udfff", "NUL": "\x00"}
TABLES = (
    RegisteredModel,
    ModelVersion,
    Chain,
    ChainVersion,
    ChainDraft,
    Run,
    NodeResult,
    Artifact,
    Dataset,
)


def snapshot(media) -> dict[str, Any]:
    counts = {table.__name__: table.objects.count() for table in TABLES}
    stored = sorted(str(p) for p in media.rglob("*") if p.is_file())
    return {"rows": counts, "files": stored}


def spoiled(value: Any, bad: str, as_key: bool) -> Any:
    """``value`` with one more entry holding ``bad`` in a key or a string."""
    if as_key:
        return {**value, f"note{bad}": 1}
    return {**value, "note": f"x{bad}y"}


def post_json(api, method: str, url: str, payload: Any):
    # json.dumps escapes both characters as \uXXXX, the way a hostile client would.
    body = json.dumps(payload)
    return getattr(api, method)(url, data=body, content_type="application/json")


JSON_DOORS = {
    "validate": ("post", "/api/validate", lambda d: {"document": d}),
    "version save": (
        "post",
        "/api/chains/adder/versions/",
        lambda d: {"document": d, "message": "m"},
    ),
    "draft": ("put", "/api/chains/adder/draft", lambda d: {"document": d}),
    "run rows": (
        "post",
        "/api/runs/",
        lambda d: {"chain": "adder", "rows": [{"x": 1.0, "y": 2.0, **d}]},
    ),
    "chain create": ("post", "/api/chains/", lambda d: {"name": "new", **d}),
    "model create": ("post", "/api/models/", lambda d: {"name": "new", **d}),
}


@pytest.mark.parametrize("as_key", [False, True], ids=["value", "key"])
@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("door", JSON_DOORS, ids=JSON_DOORS.keys())
def test_json_bodies_with_unstorable_text_are_a_400(api, world, door, bad, as_key):
    method, url, wrap = JSON_DOORS[door]
    before = snapshot(world)
    document = (
        spoiled(linear_doc(), bad, as_key)
        if "document" in str(wrap({}))
        else spoiled({}, bad, as_key)
    )
    response = post_json(api, method, url, wrap(document))
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"message", "extra"}
    assert body["extra"]["limit"] == "text"
    assert body["extra"]["character"] == f"U+{ord(bad):04X}"
    assert snapshot(world) == before


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
def test_a_json_import_with_unstorable_text_is_a_400(api, world, bad):
    export = api.get("/api/chains/adder/versions/1/export").json()
    before = snapshot(world)
    response = post_json(
        api, "post", "/api/chains/import?name=copy", spoiled(export, bad, as_key=False)
    )
    assert response.status_code == 400
    assert "U+" in response.json()["extra"]["character"]
    assert snapshot(world) == before


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
def test_a_zip_import_whose_manifest_holds_unstorable_text_is_a_400(api, world, bad):
    data = api.get("/api/chains/adder/versions/1/export?bundle=zip").getvalue()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            member = source.read(info.filename)
            if info.filename == MANIFEST:
                manifest = spoiled(json.loads(member), bad, as_key=True)
                member = json.dumps(manifest).encode()
            target.writestr(info.filename, member)
    before = snapshot(world)
    upload = SimpleUploadedFile("c.zip", out.getvalue(), content_type="application/zip")
    response = api.post(
        "/api/chains/import?name=copy", {"bundle": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["extra"]["part"] == "manifest"
    assert snapshot(world) == before


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
def test_upload_metrics_with_unstorable_text_are_a_400(api, world, bad):
    before = snapshot(world)
    metrics = json.dumps(spoiled({"rmse": 0.4}, bad, as_key=False))
    response = api.post(
        "/api/models/sales-ridge/versions/",
        {"file": files.upload("r.skops", files.ridge_bytes()), "metrics": metrics},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("Metrics: The JSON holds")
    assert snapshot(world) == before


def test_the_upload_page_refuses_metrics_with_a_lone_surrogate(owner_client, world):
    before = snapshot(world)
    response = owner_client.post(
        "/models/sales-ridge/upload",
        {
            "file": files.upload("r.skops", files.ridge_bytes()),
            "metrics": '{"rmse": "\\ud800"}',
        },
    )
    assert response.status_code == 400
    assert "lone surrogate" in str(response.context["form"].errors["metrics"])
    assert snapshot(world) == before


def test_a_valid_surrogate_pair_is_an_ordinary_character(api, world):
    response = post_json(
        api, "post", "/api/chains/", {"name": "emoji", "title": "sales \U0001f600"}
    )
    assert response.status_code == 201
    assert Chain.objects.get(name="emoji").title == "sales \U0001f600"


def test_a_model_whose_signature_holds_nul_is_a_400(api, world):
    # A skops file cannot hold a lone surrogate (its schema.json is UTF-8).
    bad = "\x00"
    import pandas as pd
    import skops.io as sio
    from sklearn.linear_model import Ridge

    frame = pd.DataFrame({f"pri{bad}ce": [1.0, 2.0, 3.0], "area": [1.0, 0.0, 2.0]})
    data = sio.dumps(Ridge().fit(frame, [1.0, 2.0, 3.0]))
    before = snapshot(world)
    response = api.post(
        "/api/models/sales-ridge/versions/",
        {"file": files.upload("r.skops", data)},
        format="multipart",
    )
    assert response.status_code == 400
    assert "signature" in response.json()["message"]
    assert snapshot(world) == before
