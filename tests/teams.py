"""The actors of the team permission tests, shared by several apps' tests.

``owner`` (tests/conftest.py) creates the objects and is the admin of team
``pricing``; the objects under test are given to that team.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from accounts import teams
from tests.factories import UserFactory


@pytest.fixture
def pricing(owner) -> Group:
    """The team that owns the objects under test; ``owner`` is its admin."""
    return teams.team_create(name="pricing", user=owner)


@pytest.fixture
def member(pricing, owner):
    """A plain member of ``pricing``: may change what the team owns, not the team."""
    user = UserFactory(username="member")
    teams.team_member_add(team=pricing, username="member", by=owner)
    return user


@pytest.fixture
def outsider(db):
    """In no team: may read and run the team's objects, never change them."""
    return UserFactory(username="outsider")


def actor(request: Any, name: str) -> Any:
    """The user fixture called ``name`` (owner, member, outsider)."""
    return request.getfixturevalue(name)


def api_as(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def page_as(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client
