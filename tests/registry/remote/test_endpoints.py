"""Endpoint versions through the API and the page: recorded like file versions,
checked at the boundary, never showing a secret; hostile input gets a 4xx."""

from __future__ import annotations

import pytest

from registry.models import AllowedHost, ModelVersion, RegisteredModel, RemoteEndpoint
from tests.registry.remote.servers import FEATURES

SIGNATURE = {"inputs": [[f, "float"] for f in FEATURES], "outputs": [["y", "float"]]}


def create(api, nodejs, name="lin", mode="ok", **fields):
    body = {
        "url": f"{nodejs.url}/{mode}/v2/models/lin-cols",
        "protocol": "v2",
        **fields,
    }
    return api.post(f"/api/models/{name}/endpoints/", body, format="json")


def counts() -> tuple[int, int, int]:
    return (
        RegisteredModel.objects.count(),
        ModelVersion.objects.count(),
        RemoteEndpoint.objects.count(),
    )


def test_a_v2_endpoint_records_the_fetched_signature(api, nodejs, loopback_allowed):
    response = create(api, nodejs, notes="served by node")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == 1
    assert body["format"] == "remote"
    assert body["methods"] == ["predict"]
    assert body["signature"] == {
        "inputs": [[f, "float"] for f in FEATURES],
        "outputs": {"predict": [["y", "float"]]},
    }
    assert body["endpoint"]["signature_source"] == "fetched"
    assert body["endpoint"]["url"].endswith("/ok/v2/models/lin-cols")
    assert body["trusted"] is True


def test_a_second_endpoint_is_the_next_version_and_aliases_point_at_it(
    api, nodejs, loopback_allowed
):
    create(api, nodejs)
    second = create(
        api,
        nodejs,
        protocol="records",
        signature=SIGNATURE,
        url=f"{nodejs.url}/ok/records",
    )
    assert second.status_code == 201, second.json()
    assert second.json()["number"] == 2
    assert second.json()["endpoint"]["signature_source"] == "declared"
    moved = api.post(
        "/api/models/lin/aliases/", {"alias": "production", "version": 2}, format="json"
    )
    assert moved.status_code == 200, moved.json()
    versions = ModelVersion.objects.filter(model__name="lin").order_by("number")
    first, last = versions
    # The sha256 covers URL, protocol and signature: a chain's cache keys move.
    assert first.sha256 != last.sha256


def test_the_secret_is_named_never_shown(api, nodejs, loopback_allowed, settings):
    settings.CATENA_REMOTE_SECRETS = {"node": "Bearer s3cret"}
    response = create(api, nodejs, mode="auth", secret="node")
    assert response.status_code == 201, response.json()
    detail = api.get("/api/models/lin/versions/1/")
    assert detail.json()["endpoint"]["secret"] == "node"
    assert "s3cret" not in detail.content.decode()
    assert "s3cret" not in str(RemoteEndpoint.objects.values().get())


def test_an_unknown_secret_is_a_400(api, nodejs, loopback_allowed):
    before = counts()
    response = create(api, nodejs, secret="nope")
    assert response.status_code == 400
    assert "No secret 'nope'" in response.json()["extra"]["fields"]["secret"][0]
    assert counts() == before


def test_a_host_off_the_allow_list_is_refused_and_nothing_is_stored(api, nodejs):
    before = counts()
    response = create(api, nodejs)
    assert response.status_code == 400
    (message,) = response.json()["extra"]["fields"]["url"]
    assert "host '127.0.0.1' is not on the allow-list" in message
    assert counts() == before


def test_loopback_by_name_is_refused_even_when_the_name_is_listed(
    api, nodejs, settings
):
    settings.CATENA_HTTP_ALLOWED_HOSTS = ["localhost"]
    port = nodejs.url.rsplit(":", 1)[1]
    before = counts()
    response = api.post(
        "/api/models/lin/endpoints/",
        {"url": f"http://localhost:{port}/ok/v2/models/lin", "protocol": "v2"},
        format="json",
    )
    assert response.status_code == 400
    assert "a loopback address" in response.json()["extra"]["fields"]["url"][0]
    assert counts() == before


def test_the_admin_page_allow_list_lets_a_host_in(api, nodejs):
    AllowedHost.objects.create(entry="127.0.0.1", note="test servers")
    assert create(api, nodejs).status_code == 201


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"protocol": "records"}, "signature", "need a declared signature"),
        ({"protocol": "grpc"}, "protocol", "is not a valid choice"),
        ({"timeout": "30"}, "timeout", "A valid number is required"),
        ({"timeout": True}, "timeout", "A valid number is required"),
        ({"timeout": 0}, "timeout", "from 0.1 to 600"),
        ({"batch_size": 0}, "batch_size", "from 1 to 100000"),
        ({"parallel": 1000}, "parallel", "from 1 to 32"),
        ({"url": "file:///etc/passwd"}, "url", "must start with http"),
        ({"url": "http://u:p@127.0.0.1/"}, "url", "named secret"),
        ({"url": "http://x/" + "a" * 600}, "url", "no more than 500"),
        ({"signature": {"inputs": "x"}}, "signature", "Give {"),
        (
            {"signature": {"inputs": [["a", "complex"]], "outputs": [["y", "float"]]}},
            "signature",
            "unknown dtype",
        ),
        (
            {
                "signature": {
                    "inputs": [[{"n": 1}, "float"]],
                    "outputs": [["y", "float"]],
                }
            },
            "signature",
            "column names are text",
        ),
        (
            {
                "signature": {
                    "inputs": [["a", "float"]] * 2,
                    "outputs": [["y", "float"]],
                }
            },
            "signature",
            "distinct columns",
        ),
    ],
)
def test_bad_fields_are_a_400_naming_the_field(
    api, nodejs, loopback_allowed, fields, field, message
):
    before = counts()
    response = create(api, nodejs, **fields)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert set(body) == {"message", "extra"}
    assert message in " ".join(body["extra"]["fields"][field])
    assert counts() == before


def test_a_server_without_metadata_asks_for_a_declared_signature(
    api, nodejs, loopback_allowed
):
    before = counts()
    response = create(api, nodejs, mode="status-404")
    assert response.status_code == 400
    (message,) = response.json()["extra"]["fields"]["signature"]
    assert "Could not fetch the model metadata" in message
    assert "answered 404" in message
    assert counts() == before


def test_a_redirecting_metadata_url_is_refused(api, nodejs, loopback_allowed):
    response = create(api, nodejs, mode="redirect")
    assert response.status_code == 400
    assert "redirects are not followed" in str(response.json())


def test_only_the_owner_team_or_staff_add_endpoint_versions(
    api, teammate_api, nodejs, loopback_allowed
):
    create(api, nodejs)
    before = counts()
    response = create(teammate_api, nodejs)
    assert response.status_code == 403
    assert counts() == before


def test_a_remote_version_has_no_download(api, nodejs, loopback_allowed):
    create(api, nodejs)
    assert api.get("/api/models/lin/versions/1/download").status_code == 404


def test_the_page_records_an_endpoint_and_shows_it(
    owner_client, nodejs, loopback_allowed
):
    page = owner_client.get("/models/endpoint")
    assert page.status_code == 200
    assert b"Add a model served elsewhere" in page.content
    response = owner_client.post(
        "/models/endpoint",
        {
            "name": "lin",
            "url": f"{nodejs.url}/ok/records",
            "protocol": "records",
            "signature": '{"inputs": [["a", "float"], ["b", "float"], ["c", "float"]],'
            ' "outputs": [["y", "float"]]}',
            "secret": "",
            "auth_header": "Authorization",
            "timeout": "5",
            "batch_size": "100",
            "parallel": "2",
        },
    )
    assert response.status_code == 302
    detail = owner_client.get(response["Location"])
    assert b"JSON records" in detail.content
    assert f"{nodejs.url}/ok/records".encode() in detail.content
    assert b"100 rows per request, 2 at once" in detail.content


def test_the_page_shows_a_refusal_on_the_url_field(owner_client, nodejs):
    before = counts()
    response = owner_client.post(
        "/models/endpoint",
        {
            "name": "lin",
            "url": "http://169.254.169.254/latest/meta-data/",
            "protocol": "v2",
            "auth_header": "Authorization",
            "timeout": "5",
            "batch_size": "100",
            "parallel": "2",
        },
    )
    assert response.status_code == 400
    assert b"is not on the allow-list" in response.content
    assert b"No host is allow-listed yet" in response.content
    assert counts() == before
