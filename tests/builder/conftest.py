from __future__ import annotations

import pytest

from builder import services
from registry import services as registry_services
from registry.resolver import model_cache
from tests.builder import files


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test stores model files in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    model_cache.clear()
    return settings.MEDIA_ROOT


@pytest.fixture
def ridge(owner):
    """sales-ridge: v1 (alpha 1) and v2 (alpha 2), @production -> v2."""
    model = registry_services.registered_model_create(name="sales-ridge", owner=owner)
    for alpha in (1.0, 2.0):
        registry_services.model_version_create(
            model=model,
            file=files.upload("ridge.skops", files.ridge_bytes(alpha)),
            uploaded_by=owner,
        )
    registry_services.alias_set(model=model, alias="production", number=2, user=owner)
    return model


@pytest.fixture
def chain(owner):
    return services.chain_create(name="sales", owner=owner, title="Sales")


@pytest.fixture
def saved(chain, owner, ridge):
    """Chain 'sales' with v1 = the linear document on sales-ridge v1."""
    version, _ = services.chain_version_save(
        chain=chain, document=files.linear(), user=owner, message="first"
    )
    return version
