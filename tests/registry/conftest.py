from __future__ import annotations

import pytest

from registry import services
from registry.resolver import model_cache
from tests.registry import files


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test stores model files in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    model_cache.clear()
    return settings.MEDIA_ROOT


@pytest.fixture
def sales(owner):
    return services.registered_model_create(name="sales-ridge", owner=owner)


@pytest.fixture
def ridge_v1(sales, owner):
    return services.model_version_create(
        model=sales,
        file=files.upload("ridge.skops", files.ridge_bytes()),
        uploaded_by=owner,
        notes="first",
        metrics={"rmse": 0.4},
    )


@pytest.fixture
def forest(owner):
    model = services.registered_model_create(name="churn-forest", owner=owner)
    services.model_version_create(
        model=model,
        file=files.upload("forest.skops", files.forest_bytes()),
        uploaded_by=owner,
    )
    return model
