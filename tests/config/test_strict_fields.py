"""API inputs refuse a wrong JSON type instead of coercing it ("3" is not 3)."""

from __future__ import annotations

import pytest

from builder.models import Chain
from registry.models import Alias
from runner.models import Run

WRONG = {
    "integer as text": (
        "/api/models/sales-ridge/aliases/",
        {"alias": "production", "version": "1"},
        "version",
    ),
    "integer as float": (
        "/api/models/sales-ridge/aliases/",
        {"alias": "production", "version": 1.0},
        "version",
    ),
    "integer as boolean": ("/api/chains/adder/live", {"number": True}, "number"),
    "boolean as integer": (
        "/api/runs/",
        {"chain": "adder", "rows": [{"x": 1.0, "y": 2.0}], "reuse": 1},
        "reuse",
    ),
    "text as integer": ("/api/runs/", {"chain": 3, "rows": []}, "chain"),
    "slug as integer": ("/api/chains/", {"name": 12345}, "name"),
    "text as number": ("/api/chains/", {"name": "n", "title": 3}, "title"),
}


def stored() -> tuple[int, ...]:
    return (Alias.objects.count(), Chain.objects.count(), Run.objects.count())


@pytest.mark.parametrize("case", WRONG, ids=WRONG.keys())
def test_a_wrong_json_type_is_a_400_naming_the_field(api, world, case):
    url, payload, field = WRONG[case]
    before = stored()
    response = api.post(url, payload, format="json")
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}: ")
    assert field in response.json()["extra"]["fields"]
    assert stored() == before


def test_the_right_json_types_pass(api, world):
    response = api.post(
        "/api/models/sales-ridge/aliases/",
        {"alias": "production", "version": 1},
        format="json",
    )
    assert response.status_code == 200
    assert Alias.objects.get().version.number == 1


def test_form_bodies_are_text_and_still_coerced(api, world):
    response = api.post(
        "/api/models/sales-ridge/aliases/",
        {"alias": "production", "version": "1"},
        format="multipart",
    )
    assert response.status_code == 200
    assert Alias.objects.get().version.number == 1
