"""Every page and API call needs a logged-in user or a token."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import api_token_create

PAGES = ["registry:model_list", "builder:chain_list", "runner:run_list", "api-docs"]


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitor_is_sent_to_login(client, db, page):
    response = client.get(reverse(page))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("page", PAGES)
def test_logged_in_user_sees_the_page_with_navigation(owner_client, page):
    response = owner_client.get(reverse(page))
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Registry", "Chains", "Runs", "API docs", "Log out"):
        assert label in html


def test_login_page_logs_a_user_in(client, owner):
    response = client.post(
        reverse("login"), {"username": "owner", "password": "pass-for-tests"}
    )
    assert response.status_code == 302
    assert client.get(reverse("builder:chain_list")).status_code == 200


def test_wrong_password_is_refused_with_a_message(client, owner):
    response = client.post(reverse("login"), {"username": "owner", "password": "x"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


def test_api_schema_needs_credentials(db):
    response = APIClient().get(reverse("api-schema"), HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "message" in response.json()


def test_api_schema_accepts_a_token(owner):
    key = api_token_create(user=owner).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Catena API"


def test_health_check_is_open_for_scripts(client, db):
    response = client.get(reverse("healthz"))
    # No worker runs here: an answer naming it, not a redirect to the login page.
    assert response.status_code == 503
    assert response.json()["down"] == ["worker"]
