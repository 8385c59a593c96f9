"""Who may change a chain given to a team: owner, teammate, outsider; API and pages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from accounts import teams
from builder import services
from builder.models import Chain, ChainDraft, ChainVersion
from tests.builder import files
from tests.teams import actor, api_as, member, outsider, page_as, pricing

__all__ = ["member", "outsider", "pricing"]


@pytest.fixture
def chain(owner, member, pricing, ridge):
    """Chain 'sales' owned by ``owner``, given to ``pricing``, with v1 saved."""
    chain = services.chain_create(name="sales", owner=owner, team="pricing")
    services.chain_version_save(chain=chain, document=files.linear(), user=owner)
    return chain


def state(chain: Chain) -> dict[str, Any]:
    """Everything a write could change."""
    chain.refresh_from_db()
    return {
        "versions": ChainVersion.objects.filter(chain=chain).count(),
        "live": chain.live_version.number if chain.live_version else None,
        "drafts": ChainDraft.objects.filter(chain=chain).count(),
        "team": chain.team.name if chain.team else None,
    }


def json_post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def save_version_api(client: Any) -> Any:
    body = {"document": files.linear(2), "message": "v2"}
    return json_post(client, "/api/chains/sales/versions/", body)


def set_live_api(client: Any) -> Any:
    return json_post(client, "/api/chains/sales/live", {"number": 1})


def set_live_page(client: Any) -> Any:
    return client.post("/chains/sales/live", {"number": "1"})


def draft_api(client: Any) -> Any:
    body = json.dumps({"document": {"format": "catena.chain/1", "nodes": []}})
    return client.put("/api/chains/sales/draft", body, content_type="application/json")


def team_clear_api(client: Any) -> Any:
    return json_post(client, "/api/chains/sales/team", {"team": None})


def team_clear_page(client: Any) -> Any:
    return client.post("/chains/sales/team", {"team": ""})


SAVED = {"versions": 2}
LIVE = {"live": 1}
DRAFTED = {"drafts": 1}
CLEARED = {"team": None}
NOTHING: dict[str, Any] = {}

# (write, actor, what changes; NOTHING = refused). Saving versions, setting
# live and keeping drafts belong to the owner and the team's members; moving
# the chain to another team to the owner and the team's admins. Saving and
# drafts have no page of their own: the editor calls the API.
MATRIX = [
    ("save_version", "owner", SAVED),
    ("save_version", "member", SAVED),
    ("save_version", "outsider", NOTHING),
    ("set_live", "owner", LIVE),
    ("set_live", "member", LIVE),
    ("set_live", "outsider", NOTHING),
    ("draft", "owner", DRAFTED),
    ("draft", "member", DRAFTED),
    ("draft", "outsider", NOTHING),
    ("team_clear", "owner", CLEARED),
    ("team_clear", "member", NOTHING),
    ("team_clear", "outsider", NOTHING),
]
WRITES = {
    "save_version": (save_version_api, None),
    "set_live": (set_live_api, set_live_page),
    "draft": (draft_api, None),
    "team_clear": (team_clear_api, team_clear_page),
}


@pytest.mark.parametrize(("write", "who", "changes"), MATRIX)
def test_team_write_through_the_api(request, chain, write, who, changes):
    before = state(chain)
    response = WRITES[write][0](api_as(actor(request, who)))
    if changes:
        assert response.status_code in (200, 201)
    else:
        assert response.status_code == 403
        assert set(response.json()) == {"message", "extra"}
    assert state(chain) == {**before, **changes}


@pytest.mark.parametrize(
    ("write", "who", "changes"),
    [row for row in MATRIX if WRITES[row[0]][1] is not None],
)
def test_team_write_through_the_pages(request, chain, write, who, changes):
    before = state(chain)
    page = WRITES[write][1]
    assert page is not None
    response = page(page_as(actor(request, who)))
    assert response.status_code == 302
    assert state(chain) == {**before, **changes}


def test_the_editor_lets_members_edit_and_outsiders_only_view(chain, member, outsider):
    member_page = page_as(member).get("/chains/sales/").content.decode()
    assert "Open the editor" in member_page
    outsider_page = page_as(outsider).get("/chains/sales/").content.decode()
    assert "View in the editor" in outsider_page
    assert 'action="/chains/sales/team"' not in outsider_page


def test_a_chain_is_given_only_to_a_team_of_the_giver(chain, owner, member):
    teams.team_create(name="demand", user=member)
    response = json_post(api_as(owner), "/api/chains/sales/team", {"team": "demand"})
    assert response.status_code == 403
    assert state(chain)["team"] == "pricing"
    teams.team_admin_set(team=chain.team, username="member", by=owner)
    moved = json_post(api_as(member), "/api/chains/sales/team", {"team": "demand"})
    assert moved.status_code == 200
    assert moved.json()["team"] == "demand"
    assert state(chain)["team"] == "demand"


def test_chain_lists_show_and_filter_by_team(chain, outsider):
    services.chain_create(name="solo", owner=outsider)
    client = api_as(outsider)
    rows = client.get("/api/chains/").json()["results"]
    assert {c["name"]: c["team"] for c in rows} == {"sales": "pricing", "solo": None}
    filtered = client.get("/api/chains/?team=pricing").json()["results"]
    assert [c["name"] for c in filtered] == ["sales"]
    page = page_as(outsider).get("/chains/?team=pricing").content.decode()
    assert "/chains/sales/" in page
    assert "/chains/solo/" not in page


def test_a_chain_created_for_anothers_team_is_refused(outsider, member):
    refused = json_post(
        api_as(outsider), "/api/chains/", {"name": "sneaky", "team": "pricing"}
    )
    assert refused.status_code == 403
    created = json_post(
        api_as(member), "/api/chains/", {"name": "mine", "team": "pricing"}
    )
    assert created.status_code == 201
    assert created.json()["team"] == "pricing"
    assert list(Chain.objects.values_list("name", flat=True)) == ["mine"]
