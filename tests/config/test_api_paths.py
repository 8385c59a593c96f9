"""Every API path answers in both spellings, in place; unknown API paths answer JSON."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from builder.models import Chain
from config.api_paths import api_path_for

SAMPLE = {"slug": "some-name", "int": "7", "str": "node", "path": "a/b"}


def _routes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern).lstrip("^").rstrip("$").replace("/?", "")
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def _concrete(route: str) -> str:
    return "/" + re.sub(
        r"<(?:(\w+):)?\w+>", lambda m: SAMPLE[m.group(1) or "str"], route
    ).lstrip("^").rstrip("$")


API_PATHS = sorted(
    {_concrete(r) for r in _routes(get_resolver().url_patterns) if r.startswith("api/")}
)


def test_the_api_has_paths_to_check():
    assert len(API_PATHS) >= 25


@pytest.mark.parametrize("path", API_PATHS)
def test_both_spellings_of_every_api_path_are_served_by_the_same_route(path):
    other = path[:-1] if path.endswith("/") else path + "/"
    assert api_path_for(path) == path
    served = api_path_for(other)
    assert served is not None
    assert resolve(served).url_name == resolve(path).url_name


@pytest.mark.parametrize("path", API_PATHS)
def test_canonical_spelling_collections_and_objects_end_with_a_slash(path):
    last = path.rstrip("/").rsplit("/", 1)[-1]
    top = ("models", "chains", "runs", "experiments")
    is_object = last in SAMPLE.values() or last in top
    collections = (
        "versions",
        "datasets",
        "aliases",
        "teams",
        "members",
        "endpoints",
        "log",
    )
    assert path.endswith("/") is (is_object or last in collections), path


def test_a_chain_cannot_be_named_like_the_import_action(api, db):
    response = api.post("/api/chains/", {"name": "import"}, format="json")
    assert response.status_code == 400
    assert response.json()["extra"]["fields"]["name"] == ["'import' is reserved."]
    assert Chain.objects.count() == 0


def test_post_to_a_collection_without_its_slash_creates(api, owner):
    response = api.post("/api/chains", {"name": "no-slash"}, format="json")
    assert response.status_code == 201
    assert list(Chain.objects.values_list("name", flat=True)) == ["no-slash"]


def test_action_with_a_trailing_slash_is_served(api, owner):
    response = api.post(
        "/api/validate/", {"document": {"format": "catena.chain/1"}}, format="json"
    )
    assert response.status_code in (200, 400)
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "path",
    [
        "/api/nope",
        "/api/nope/",
        "/api/runs/x/y/z",
        "/api",
        "/api/models/not a slug/",
        "/api/runs/abc/",
    ],
)
def test_unknown_api_path_answers_the_json_error_shape(api, path):
    response = api.get(path)
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"message", "extra"}
    assert body["extra"]["path"] == path


def test_unknown_api_path_is_json_for_an_anonymous_client(client, db):
    response = client.post("/api/nothing-here", {})
    assert response.status_code == 404
    assert response.json()["message"] == "There is no API path /api/nothing-here."


def test_missing_object_without_slash_is_a_json_404(api, db):
    response = api.get("/api/runs/999999")
    assert response.status_code == 404
    assert set(response.json()) == {"message", "extra"}
