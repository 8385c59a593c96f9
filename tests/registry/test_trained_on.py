"""What a model version was trained on: upload fields, hostile input, skops cv."""

from __future__ import annotations

import json
from functools import cache

import pytest
import skops.io as sio
from sklearn.ensemble import StackingRegressor
from sklearn.linear_model import LinearRegression, Ridge

from registry.models import ModelVersion
from registry.resolver import RegistryResolver
from tests.registry import files
from tests.registry.test_apis import post_version

pytestmark = pytest.mark.django_db


@cache
def stacking_bytes(cv: object) -> bytes:
    x, y = files.FEATURES, files.TARGET
    base = [("r", Ridge().fit(x, y) if cv == "prefit" else Ridge())]
    return sio.dumps(
        StackingRegressor(base, final_estimator=LinearRegression(), cv=cv).fit(x, y)
    )


def test_a_stacker_records_the_versions_it_was_trained_on(api, ridge_v1):
    api.post("/api/models/", {"name": "stacker"})
    trained_on = json.dumps([{"model": "sales-ridge", "version": 1}])
    response = post_version(
        api,
        "stacker",
        "s.skops",
        files.ridge_bytes(),
        trained_on=trained_on,
        out_of_fold="true",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["trained_on"] == [{"model": "sales-ridge", "version": 1}]
    assert body["out_of_fold"] is True
    resolved = RegistryResolver().resolve("stacker", 1)
    assert resolved.trained_on == (("sales-ridge", 1),)
    assert resolved.out_of_fold is True


@pytest.mark.parametrize(
    "trained_on",
    [
        '[{"model": "sales-ridge", "version": 9}]',
        '[{"model": "nobody", "version": 1}]',
        '[{"model": "sales-ridge", "version": "1"}]',
        '[{"model": "sales-ridge", "version": true}]',
        '[{"model": "sales-ridge", "version": 1, "x": 1}]',
        '[{"model": "sales-ridge", "version": 99999999999999999999}]',
        '{"model": "sales-ridge", "version": 1}',
        '"sales-ridge"',
        "[" * 5000 + "]" * 5000,
        "not json",
        json.dumps([{"model": "sales-ridge", "version": 1}] * 51),
        json.dumps([{"model": "sales-ridge", "version": 1}] * 2),
    ],
)
def test_hostile_trained_on_is_a_400_and_stores_nothing(api, ridge_v1, trained_on):
    api.post("/api/models/", {"name": "stacker"})
    before = ModelVersion.objects.count()
    response = post_version(
        api, "stacker", "s.skops", files.ridge_bytes(), trained_on=trained_on
    )
    assert response.status_code == 400, response.content
    assert "trained_on" in json.dumps(response.json())
    assert ModelVersion.objects.count() == before


@pytest.mark.parametrize(
    ("cv", "expected"), [(None, True), (3, True), ("prefit", False)]
)
def test_a_skops_stacking_estimator_says_whether_it_cross_validated(api, cv, expected):
    api.post("/api/models/", {"name": "stacker"})
    response = post_version(api, "stacker", "s.skops", stacking_bytes(cv))
    assert response.status_code == 201, response.json()
    assert response.json()["out_of_fold"] is expected


def test_a_plain_estimator_has_no_out_of_fold_reading(api, ridge_v1):
    assert ridge_v1.out_of_fold is None
    assert ridge_v1.trained_on == []
