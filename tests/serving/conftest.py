"""The demo sales chain live, and small chains of test models, for serving tests."""

from __future__ import annotations

import functools
import pickle
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from builder import services as chain_services
from builder.demo import demo_chains_install
from builder.models import Chain
from registry import demo
from registry.models import ModelVersion, RegisteredModel
from registry.services import (
    model_version_create,
    model_version_trust,
    registered_model_create,
)
from serving.gate import gate
from serving.plans import plans


@pytest.fixture(autouse=True)
def _plans_clear() -> Iterator[None]:
    """Test databases reuse ids after a rollback; each test prepares afresh."""
    plans.clear()
    yield
    plans.clear()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@functools.cache
def sales_models() -> list[Any]:
    """The demo sales models, fitted once per test session (fitting takes seconds)."""
    return demo.sales_models()


@pytest.fixture
def sales(staff, monkeypatch) -> Chain:
    """The demo stacked sales chain (only its models installed), version 1 live."""
    monkeypatch.setattr(demo, "DEMO_SETS", (sales_models,))
    demo.demo_models_install(user=staff)
    demo_chains_install(user=staff)
    chain = Chain.objects.get(name="sales-stacked")
    return chain_services.chain_live_set(chain=chain, number=1, user=staff)


def model_upload(*, name: str, estimator: Any, owner: Any, staff: Any) -> ModelVersion:
    """A new trusted pickle version of model ``name`` (created when missing)."""
    registered = RegisteredModel.objects.filter(name=name).first()
    if registered is None:
        registered = registered_model_create(name=name, owner=owner)
    upload = SimpleUploadedFile(f"{name}.pkl", pickle.dumps(estimator))
    version = model_version_create(model=registered, file=upload, uploaded_by=owner)
    return model_version_trust(version=version, user=staff)


def chain_make(*, name: str, document: dict[str, Any], user: Any) -> Chain:
    """A chain with ``document`` saved as version 1 and marked live."""
    chain = chain_services.chain_create(name=name, owner=user)
    chain_services.chain_version_save(chain=chain, document=document, user=user)
    return chain_services.chain_live_set(chain=chain, number=1, user=user)


def model_doc(model: str, version: str | int = "@production") -> dict[str, Any]:
    """in(x, y) -> one model -> out."""
    return {
        "format": "catena.chain/1",
        "nodes": [
            {
                "id": "in",
                "kind": "input",
                "params": {"schema": [["x", "float"], ["y", "float"]]},
            },
            {
                "id": "m",
                "kind": "model",
                "params": {"model": model, "version": version},
            },
            {"id": "out", "kind": "output", "params": {}},
        ],
        "edges": [["in", "m"], ["m", "out"]],
    }


@pytest.fixture
def idle_gate() -> Iterator[None]:
    assert gate.busy == 0
    yield
    assert gate.busy == 0


SHOP_SCHEMA = [
    ["temperature", "float"],
    ["price", "float"],
    ["shape", "str"],
    ["color", "str"],
    ["promo", "int"],
]


def shop_doc() -> dict[str, Any]:
    """The sales input schema -> revenue = price * promo -> out; no models."""
    revenue = [{"op": "arith", "name": "revenue", "expr": "price * promo"}]
    return {
        "format": "catena.chain/1",
        "nodes": [
            {"id": "in", "kind": "input", "params": {"schema": SHOP_SCHEMA}},
            {"id": "rev", "kind": "transform", "params": {"ops": revenue}},
            {"id": "out", "kind": "output", "params": {"columns": ["revenue"]}},
        ],
        "edges": [["in", "rev"], ["rev", "out"]],
    }


@pytest.fixture
def shop(owner) -> Chain:
    """A live chain on the sales input schema with no models: cheap to set up."""
    return chain_make(name="shop", document=shop_doc(), user=owner)


def revenue_doc(expr: str) -> dict:
    doc = shop_doc()
    doc["nodes"][1]["params"]["ops"][0]["expr"] = expr
    return doc


@pytest.fixture
def shop3(shop, owner):
    """shop v1 live (revenue = price*promo), v2 (+1) and v3 (*3) saved."""
    for expr in ("price * promo + 1", "price * promo * 3"):
        chain_services.chain_version_save(
            chain=shop, document=revenue_doc(expr), user=owner
        )
    return shop
