"""API calls and wrong tokens are throttled; repeated failed logins lock out."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import api_token_create


def test_a_user_over_the_rate_gets_429_with_retry_after(api, settings):
    settings.CATENA_THROTTLE_USER = "3/minute"
    statuses = [api.get("/api/chains/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api.get("/api/chains/")
    assert int(refused["Retry-After"]) > 0
    assert set(refused.json()) == {"message", "extra"}


def test_the_user_rate_counts_each_user_apart(api, teammate_api, settings):
    settings.CATENA_THROTTLE_USER = "2/minute"
    for _ in range(2):
        api.get("/api/chains/")
    assert api.get("/api/chains/").status_code == 429
    assert teammate_api.get("/api/chains/").status_code == 200


def test_wrong_tokens_from_one_address_are_throttled_before_lookup(owner, settings):
    settings.CATENA_THROTTLE_TOKEN_FAILURES = "3/minute"
    good = api_token_create(user=owner).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert [client.get("/api/chains/").status_code for _ in range(3)] == [401] * 3
    assert client.get("/api/chains/").status_code == 429
    client.credentials(HTTP_AUTHORIZATION=f"Token {good}")
    assert client.get("/api/chains/").status_code == 429
    other_address = APIClient(REMOTE_ADDR="10.0.0.9")
    other_address.credentials(HTTP_AUTHORIZATION=f"Token {good}")
    assert other_address.get("/api/chains/").status_code == 200


def test_a_good_token_is_never_counted_as_a_failure(owner, settings):
    settings.CATENA_THROTTLE_TOKEN_FAILURES = "2/minute"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=owner).key}")
    assert {client.get("/api/chains/").status_code for _ in range(4)} == {200}


def test_forged_forwarded_for_does_not_escape_the_throttle(owner, settings):
    settings.CATENA_THROTTLE_TOKEN_FAILURES = "2/minute"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    statuses = [
        client.get("/api/chains/", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(3)
    ]
    assert statuses == [401, 401, 429]


def login(client, password):
    return client.post(reverse("login"), {"username": "owner", "password": password})


def test_repeated_failed_logins_lock_the_account_out_from_that_address(
    client, owner, settings
):
    settings.AXES_FAILURE_LIMIT = 2
    assert login(client, "wrong").status_code == 200
    locked = login(client, "wrong")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    right = login(client, "pass-for-tests")
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_successful_login_clears_the_failures(client, owner, settings):
    settings.AXES_FAILURE_LIMIT = 2
    assert login(client, "wrong").status_code == 200
    assert login(client, "pass-for-tests").status_code == 302
    client.logout()
    assert login(client, "wrong").status_code == 200


def test_code_on_the_server_authenticates_without_a_request(owner, settings):
    settings.AXES_FAILURE_LIMIT = 1
    assert authenticate(username="owner", password="wrong") is None
    assert authenticate(username="owner", password="pass-for-tests") == owner
