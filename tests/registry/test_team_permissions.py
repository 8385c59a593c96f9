"""Who may change a model given to a team: owner, teammate, outsider; API and pages."""

from __future__ import annotations

from typing import Any

import pytest

from accounts import teams
from registry import services
from registry.models import Alias, ModelVersion, RegisteredModel, TrustRecord
from tests.registry import files
from tests.teams import actor, api_as, member, outsider, page_as, pricing

__all__ = ["member", "outsider", "pricing"]


@pytest.fixture
def model(owner, member, pricing):
    """sales-ridge owned by ``owner``, given to ``pricing``, with v1 and v2."""
    model = services.registered_model_create(
        name="sales-ridge", owner=owner, team="pricing"
    )
    for _ in range(2):
        services.model_version_create(
            model=model,
            file=files.upload("ridge.skops", files.ridge_bytes()),
            uploaded_by=owner,
        )
    return model


def state(model: RegisteredModel) -> dict[str, Any]:
    """Everything a write could change."""
    model.refresh_from_db()
    return {
        "versions": ModelVersion.objects.filter(model=model).count(),
        "aliases": dict(
            Alias.objects.filter(model=model).values_list("name", "version__number")
        ),
        "trusted": TrustRecord.objects.filter(version__model=model).count(),
        "team": model.team.name if model.team else None,
    }


def add_version_api(client: Any) -> Any:
    upload = files.upload("ridge.skops", files.ridge_bytes())
    return client.post(
        "/api/models/sales-ridge/versions/", {"file": upload}, format="multipart"
    )


def add_version_page(client: Any) -> Any:
    upload = files.upload("ridge.skops", files.ridge_bytes())
    return client.post("/models/sales-ridge/upload", {"file": upload})


def move_alias_api(client: Any) -> Any:
    body = {"alias": "production", "version": 1}
    return client.post("/api/models/sales-ridge/aliases/", body, format="json")


def move_alias_page(client: Any) -> Any:
    body = {"alias": "production", "version": 1}
    return client.post("/models/sales-ridge/aliases", body)


def team_clear_api(client: Any) -> Any:
    return client.post("/api/models/sales-ridge/team", {"team": None}, format="json")


def team_clear_page(client: Any) -> Any:
    return client.post("/models/sales-ridge/team", {"team": ""})


def trust_api(client: Any) -> Any:
    return client.post("/api/models/sales-ridge/versions/1/trust", {}, format="json")


def trust_page(client: Any) -> Any:
    return client.post("/models/sales-ridge/versions/1/trust", {})


ADDED = {"versions": 3}
MOVED = {"aliases": {"production": 1}}
CLEARED = {"team": None}
NOTHING: dict[str, Any] = {}

# (write, actor, what changes; NOTHING = refused). The owner and the team's
# members change the model; only the owner or a team admin moves it to another
# team; trust stays with staff whoever owns the model.
MATRIX = [
    ("add_version", "owner", ADDED),
    ("add_version", "member", ADDED),
    ("add_version", "outsider", NOTHING),
    ("move_alias", "owner", MOVED),
    ("move_alias", "member", MOVED),
    ("move_alias", "outsider", NOTHING),
    ("team_clear", "owner", CLEARED),
    ("team_clear", "member", NOTHING),
    ("team_clear", "outsider", NOTHING),
    ("trust", "owner", NOTHING),
    ("trust", "member", NOTHING),
    ("trust", "outsider", NOTHING),
]
WRITES = {
    "add_version": (add_version_api, add_version_page),
    "move_alias": (move_alias_api, move_alias_page),
    "team_clear": (team_clear_api, team_clear_page),
    "trust": (trust_api, trust_page),
}


@pytest.mark.parametrize(("write", "who", "changes"), MATRIX)
def test_team_write_through_the_api(request, model, write, who, changes):
    before = state(model)
    response = WRITES[write][0](api_as(actor(request, who)))
    if changes:
        assert response.status_code in (200, 201)
    else:
        assert response.status_code == 403
        assert set(response.json()) == {"message", "extra"}
    assert state(model) == {**before, **changes}


@pytest.mark.parametrize(("write", "who", "changes"), MATRIX)
def test_team_write_through_the_pages(request, model, write, who, changes):
    before = state(model)
    response = WRITES[write][1](page_as(actor(request, who)))
    assert response.status_code in (302, 400, 403)
    assert state(model) == {**before, **changes}


def test_a_model_is_given_only_to_a_team_of_the_giver(model, member, owner):
    teams.team_create(name="demand", user=member)
    response = api_as(owner).post(
        "/api/models/sales-ridge/team", {"team": "demand"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["extra"] == {"team": "demand"}
    assert state(model)["team"] == "pricing"


def test_a_team_admin_who_is_not_the_owner_may_move_the_model(model, member, owner):
    teams.team_admin_set(team=model.team, username="member", by=owner)
    teams.team_create(name="demand", user=member)
    response = api_as(member).post(
        "/api/models/sales-ridge/team", {"team": "demand"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["team"] == "demand"
    assert state(model)["team"] == "demand"


def test_a_model_is_created_for_a_team_and_refused_for_anothers(member, outsider):
    created = api_as(member).post(
        "/api/models/", {"name": "forecast", "team": "pricing"}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["team"] == "pricing"
    refused = api_as(outsider).post(
        "/api/models/", {"name": "sneaky", "team": "pricing"}, format="json"
    )
    assert refused.status_code == 403
    unknown = api_as(outsider).post(
        "/api/models/", {"name": "lost", "team": "nobody"}, format="json"
    )
    assert unknown.status_code == 404
    assert list(RegisteredModel.objects.values_list("name", flat=True)) == ["forecast"]


def test_lists_show_and_filter_by_team(model, owner, outsider):
    services.registered_model_create(name="solo", owner=outsider)
    client = api_as(outsider)
    everything = client.get("/api/models/").json()["results"]
    assert {m["name"]: m["team"] for m in everything} == {
        "sales-ridge": "pricing",
        "solo": None,
    }
    filtered = client.get("/api/models/?team=pricing").json()["results"]
    assert [m["name"] for m in filtered] == ["sales-ridge"]
    page = page_as(owner).get("/models/?team=pricing").content.decode()
    assert "sales-ridge" in page
    assert "solo" not in page
    detail = page_as(outsider).get("/models/sales-ridge/").content.decode()
    assert "/teams/pricing/" in detail
    assert 'name="team"' not in detail


def test_the_owner_sees_the_team_select_on_the_model_page(model, owner):
    page = page_as(owner).get("/models/sales-ridge/").content.decode()
    assert 'action="/models/sales-ridge/team"' in page
    assert '<option value="pricing" selected>pricing</option>' in page
