"""Teams: create one, add, remove and promote members; pages and API."""

from __future__ import annotations

from django.contrib.auth.models import Group

from accounts import teams
from accounts.models import TeamAdmin
from tests.teams import api_as, member, outsider, page_as, pricing

__all__ = ["member", "outsider", "pricing"]


def roster(name: str) -> dict[str, bool]:
    team = Group.objects.get(name=name)
    return {m["user"].username: m["admin"] for m in teams.team_members(team=team)}


def test_creating_a_team_on_the_page_makes_you_its_admin(owner):
    client = page_as(owner)
    empty = client.get("/teams/").content.decode()
    assert "You are in no team yet" in empty
    response = client.post("/teams/", {"name": "pricing"})
    assert response.status_code == 302
    assert response["Location"] == "/teams/pricing/"
    assert roster("pricing") == {"owner": True}
    assert "pricing" in client.get("/teams/").content.decode()


def test_a_team_name_is_unique_and_a_slug(owner, pricing):
    client = page_as(owner)
    taken = client.post("/teams/", {"name": "pricing"})
    assert taken.status_code == 400
    assert "already exists" in taken.content.decode()
    bad = api_as(owner).post("/api/teams/", {"name": "no spaces"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()) == {"message", "extra"}
    assert list(Group.objects.values_list("name", flat=True)) == ["pricing"]


def test_an_admin_adds_promotes_and_removes_members(owner, pricing, outsider):
    client = page_as(owner)
    client.post("/teams/pricing/members", {"username": "outsider"})
    assert roster("pricing") == {"owner": True, "outsider": False}
    client.post("/teams/pricing/members/outsider/admin")
    assert roster("pricing") == {"owner": True, "outsider": True}
    client.post("/teams/pricing/members/outsider/remove")
    assert roster("pricing") == {"owner": True}
    assert TeamAdmin.objects.filter(user=outsider).count() == 0


def test_a_plain_member_cannot_manage_members(member, outsider):
    client = page_as(member)
    page = client.get("/teams/pricing/").content.decode()
    assert "Add a member" not in page
    client.post("/teams/pricing/members", {"username": "outsider"})
    client.post("/teams/pricing/members/member/admin")
    client.post("/teams/pricing/members/owner/remove")
    assert roster("pricing") == {"owner": True, "member": False}
    refused = api_as(member).post(
        "/api/teams/pricing/members/", {"username": "outsider"}, format="json"
    )
    assert refused.status_code == 403
    assert roster("pricing") == {"owner": True, "member": False}


def test_a_member_may_leave_but_the_last_admin_may_not(owner, member):
    assert (
        api_as(member).delete("/api/teams/pricing/members/member/").status_code == 200
    )
    assert roster("pricing") == {"owner": True}
    last = api_as(owner).delete("/api/teams/pricing/members/owner/")
    assert last.status_code == 409
    assert roster("pricing") == {"owner": True}


def test_adding_an_unknown_user_is_a_clear_error(owner, pricing):
    response = api_as(owner).post(
        "/api/teams/pricing/members/", {"username": "ghost"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["message"] == "No user named 'ghost'."
    assert roster("pricing") == {"owner": True}


def test_the_api_lists_your_teams_and_reads_one(owner, member, outsider):
    mine = api_as(member).get("/api/teams/").json()["results"]
    assert mine == [
        {
            "name": "pricing",
            "members": [
                {"username": "member", "admin": False},
                {"username": "owner", "admin": True},
            ],
            "is_admin": False,
        }
    ]
    assert api_as(outsider).get("/api/teams/").json()["results"] == []
    assert api_as(outsider).get("/api/teams/pricing/").json()["name"] == "pricing"
    missing = api_as(outsider).get("/api/teams/nobody/")
    assert missing.status_code == 404
    assert set(missing.json()) == {"message", "extra"}


def test_the_api_creates_a_team_and_adds_an_admin(owner, outsider):
    created = api_as(owner).post("/api/teams/", {"name": "demand"}, format="json")
    assert created.status_code == 201
    added = api_as(owner).post(
        "/api/teams/demand/members/",
        {"username": "outsider", "admin": True},
        format="json",
    )
    assert added.status_code == 200
    assert roster("demand") == {"owner": True, "outsider": True}


def test_teams_is_in_the_navigation(owner):
    page = page_as(owner).get("/teams/").content.decode()
    assert '<a href="/teams/" aria-current="page">Teams</a>' in page
