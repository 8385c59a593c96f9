"""API tokens are stored as digests, shown once, and stop working when revoked."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create
from tests.factories import UserFactory


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def database_dump() -> str:
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    return out.getvalue()


def test_a_new_token_authenticates_and_the_database_holds_only_its_digest(owner):
    issued = api_token_create(user=owner, name="nightly script")
    assert token_client(issued.key).get("/api/chains/").status_code == 200
    row = ApiToken.objects.get()
    assert row.digest == hashlib.sha256(issued.key.encode()).hexdigest()
    assert row.prefix == issued.key[:8]
    assert issued.key not in database_dump()


def test_a_stored_digest_is_not_a_token(owner):
    api_token_create(user=owner)
    digest = ApiToken.objects.get().digest
    response = token_client(digest).get("/api/chains/")
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid token."


def test_a_revoked_token_is_refused_with_401(client, owner):
    issued = api_token_create(user=owner)
    client.force_login(owner)
    url = reverse("accounts:api_token_revoke", args=[issued.token.id])
    assert client.post(url).status_code == 302
    response = token_client(issued.key).get("/api/chains/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert ApiToken.objects.count() == 0


def test_a_user_cannot_revoke_someone_elses_token(client, owner, teammate):
    issued = api_token_create(user=owner)
    client.force_login(teammate)
    client.post(reverse("accounts:api_token_revoke", args=[issued.token.id]))
    assert ApiToken.objects.filter(id=issued.token.id).exists() is True
    assert token_client(issued.key).get("/api/chains/").status_code == 200


def test_a_token_of_a_deactivated_user_is_refused(owner):
    issued = api_token_create(user=owner)
    owner.is_active = False
    owner.save()
    assert token_client(issued.key).get("/api/chains/").status_code == 401


def test_use_is_recorded_on_the_token(owner):
    issued = api_token_create(user=owner)
    token_client(issued.key).get("/api/chains/")
    assert ApiToken.objects.get().last_used is not None


def test_the_tokens_page_shows_a_new_key_once(client, owner):
    client.force_login(owner)
    url = reverse("accounts:api_tokens")
    created = client.post(url, {"name": "laptop"})
    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    key = created.context["issued"].key
    assert key in created.content.decode()
    assert token_client(key).get("/api/chains/").status_code == 200
    listed = client.get(url).content.decode()
    assert key not in listed
    assert key[:8] in listed
    assert "laptop" in listed


def test_the_tokens_page_lists_only_the_users_own_tokens(client, owner, teammate):
    theirs = api_token_create(user=teammate, name="teammate's")
    client.force_login(owner)
    html = client.get(reverse("accounts:api_tokens")).content.decode()
    assert theirs.token.prefix not in html
    assert "You have no API tokens." in html


def test_the_tokens_page_needs_a_login(client, db):
    response = client.get(reverse("accounts:api_tokens"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_command_prints_a_working_key_once(owner):
    out, err = io.StringIO(), io.StringIO()
    call_command("token_create", "owner", "--name", "ci", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert len(key) == 40
    assert "cannot be shown again" in err.getvalue()
    assert ApiToken.objects.get().name == "ci"
    assert token_client(key).get("/api/chains/").status_code == 200


def test_the_command_refuses_an_unknown_user(db):
    with pytest.raises(Exception, match="No user named 'nobody'"):
        call_command("token_create", "nobody")
    assert ApiToken.objects.count() == 0


def test_the_admin_never_shows_the_secret(client, owner):
    issued = api_token_create(user=owner)
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    changelist = client.get(reverse("admin:accounts_apitoken_changelist"))
    change = client.get(
        reverse("admin:accounts_apitoken_change", args=[issued.token.id])
    )
    for response in (changelist, change):
        html = response.content.decode()
        assert response.status_code == 200
        assert issued.token.prefix in html
        assert issued.token.digest not in html
        assert issued.key not in html
    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
