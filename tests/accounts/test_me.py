"""GET /api/me tells a script whose token it holds."""

from __future__ import annotations

from accounts.services import api_token_create
from tests.accounts.test_tokens import token_client


def test_me_names_the_tokens_user_and_the_token(owner):
    issued = api_token_create(user=owner, name="nightly")
    response = token_client(issued.key).get("/api/me")
    assert response.status_code == 200
    assert response.json() == {
        "username": "owner",
        "email": owner.email,
        "is_staff": False,
        "authenticated_by": "token",
        "token": {"prefix": issued.key[:8], "name": "nightly"},
    }


def test_me_with_a_session_has_no_token(owner_client):
    body = owner_client.get("/api/me").json()
    assert body["authenticated_by"] == "session"
    assert body["token"] is None


def test_me_without_credentials_is_401(client, db):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
