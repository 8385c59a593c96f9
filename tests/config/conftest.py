from __future__ import annotations

import pytest

from builder import services as builder_services
from registry import services as registry_services
from registry.resolver import model_cache
from tests.registry import files
from tests.runner.conftest import linear_doc


@pytest.fixture
def world(owner, settings, tmp_path):
    """sales-ridge v1, chain 'adder' v1 (no model); returns the media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    model_cache.clear()
    model = registry_services.registered_model_create(name="sales-ridge", owner=owner)
    registry_services.model_version_create(
        model=model,
        file=files.upload("ridge.skops", files.ridge_bytes()),
        uploaded_by=owner,
    )
    chain = builder_services.chain_create(name="adder", owner=owner)
    builder_services.chain_version_save(
        chain=chain, document=linear_doc(), user=owner, message="first"
    )
    return settings.MEDIA_ROOT
