from __future__ import annotations

import pytest

from registry import services, usage
from registry.models import Alias, ModelVersion, RegisteredModel
from registry.usage import UsageRef
from tests.registry import files


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def teammate_client(client, teammate):
    client.force_login(teammate)
    return client


@pytest.fixture
def chain_usage():
    """A provider as builder registers one: two versions of one chain."""

    def provider(names):
        refs = [
            UsageRef("pricing", 1, "@production", "/chains/pricing/"),
            UsageRef("pricing", 2, 1, "/chains/pricing/"),
        ]
        return {name: refs if name == "sales-ridge" else [] for name in names}

    usage.register_usage_provider(provider)
    yield provider
    usage._providers.remove(provider)


def test_empty_registry_says_what_to_do(owner_client):
    page = owner_client.get("/models/")
    assert page.status_code == 200
    assert b"The registry is empty" in page.content
    assert b"Upload your first model" in page.content


def test_list_shows_latest_aliases_and_usage(
    owner_client, ridge_v1, owner, chain_usage
):
    owner = ridge_v1.model.owner
    services.alias_set(model=ridge_v1.model, alias="production", number=1, user=owner)
    page = owner_client.get("/models/")
    text = page.content.decode()
    assert "sales-ridge" in text
    assert "@production → v1" in text
    assert "1 chain" in text


def test_search_filters_the_list(owner_client, ridge_v1, forest):
    text = owner_client.get("/models/?q=forest").content.decode()
    assert "churn-forest" in text
    assert "sales-ridge" not in text
    assert b"No model matches" in owner_client.get("/models/?q=zzz").content


def test_list_is_paginated(owner_client, owner):
    for i in range(25):
        RegisteredModel.objects.create(name=f"m{i:02d}", owner=owner)
    first = owner_client.get("/models/").content.decode()
    second = owner_client.get("/models/?page=2").content.decode()
    assert "Page 1 of 2" in first
    assert "m24" not in first
    assert "m24" in second


def test_upload_page_creates_model_and_first_version(owner_client):
    response = owner_client.post(
        "/models/new",
        {
            "name": "sales-ridge",
            "title": "Ridge",
            "file": files.upload("ridge.skops", files.ridge_bytes()),
            "metrics": '{"rmse": 1.5}',
            "notes": "hello",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/models/sales-ridge/versions/1/"
    version = ModelVersion.objects.get()
    assert version.metrics == {"rmse": 1.5}
    page = owner_client.get(response["Location"]).content.decode()
    assert "price" in page
    assert "trusted" in page


@pytest.mark.parametrize(
    "metrics", ['{"rmse": NaN}', '{"a": ' * 5_000 + "1" + "}" * 5_000]
)
def test_upload_page_refuses_metrics_json_cannot_carry(owner_client, metrics):
    response = owner_client.post(
        "/models/new",
        {
            "name": "sales-ridge",
            "file": files.upload("ridge.skops", files.ridge_bytes()),
            "metrics": metrics,
        },
    )
    assert response.status_code == 400
    assert "metrics" in response.context["form"].errors
    assert RegisteredModel.objects.count() == 0
    assert ModelVersion.objects.count() == 0


def test_upload_page_shows_errors_next_to_fields_and_keeps_nothing(owner_client):
    response = owner_client.post(
        "/models/new",
        {
            "name": "sales-ridge",
            "file": files.upload("ridge.skops", b"\x00junk" * 30),
            "metrics": "not json",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "metrics" in form.errors
    assert RegisteredModel.objects.count() == 0
    response = owner_client.post(
        "/models/new",
        {"name": "sales-ridge", "file": files.upload("ridge.skops", b"\x00junk" * 30)},
    )
    assert response.status_code == 400
    assert "not a valid skops file" in response.context["form"].errors["file"][0]
    assert RegisteredModel.objects.count() == 0
    assert ModelVersion.objects.count() == 0


def test_upload_form_names_the_size_limit(owner_client, settings):
    settings.CATENA_MAX_UPLOAD_MB = 1
    response = owner_client.post(
        "/models/new",
        {"name": "big", "file": files.upload("big.skops", b"x" * (1024 * 1024 + 1))},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "The file is 1.0 MB; the upload limit is 1 MB."
    ]
    assert RegisteredModel.objects.count() == 0


def test_teammate_upload_to_owners_model_is_refused(teammate_client, sales):
    page = teammate_client.get("/models/sales-ridge/upload")
    assert b"Only the owner" in page.content
    response = teammate_client.post(
        "/models/sales-ridge/upload",
        {"file": files.upload("r.skops", files.ridge_bytes())},
    )
    assert response.status_code == 400
    assert ModelVersion.objects.count() == 0


def test_owner_uploads_a_new_version_from_the_model_page(owner_client, ridge_v1):
    response = owner_client.post(
        "/models/sales-ridge/upload",
        {"file": files.upload("r.skops", files.ridge_bytes()), "notes": "v2"},
    )
    assert response["Location"] == "/models/sales-ridge/versions/2/"


def test_model_page_shows_versions_signature_aliases_and_usages(
    owner_client, ridge_v1, chain_usage
):
    text = owner_client.get("/models/sales-ridge/").content.decode()
    assert "Versions" in text
    assert "rmse" in text
    assert "prediction" in text
    assert "Move alias" in text
    assert "pricing v1" in text
    assert "/models/sales-ridge/versions/1/download" in text


def test_moving_an_alias_from_the_page_shows_history(owner_client, ridge_v1):
    response = owner_client.post(
        "/models/sales-ridge/aliases", {"alias": "staging", "version": 1}, follow=True
    )
    text = response.content.decode()
    assert "@staging now points at v1." in text
    assert "new → v1" in text


def test_teammate_cannot_move_an_alias_from_the_page(teammate_client, ridge_v1):
    response = teammate_client.post(
        "/models/sales-ridge/aliases", {"alias": "staging", "version": 1}, follow=True
    )
    assert "Only the owner" in response.content.decode()
    assert Alias.objects.count() == 0


def test_trust_button_only_for_staff(owner_client, forest):
    text = owner_client.get("/models/churn-forest/versions/1/").content.decode()
    assert "sklearn.tree._tree.Tree" in text
    assert "Trust these types" not in text
    assert "Ask a staff user" in text


def test_staff_trusts_from_the_version_page(staff_client, forest):
    page = staff_client.get("/models/churn-forest/versions/1/")
    assert b"Trust these types" in page.content
    response = staff_client.post(
        "/models/churn-forest/versions/1/trust",
        {"types": ["sklearn.tree._tree.Tree"]},
        follow=True,
    )
    assert "is trusted and can run in chains" in response.content.decode()
    assert forest.versions.get().trusted is True


def test_owner_post_to_trust_is_refused(owner_client, forest):
    response = owner_client.post(
        "/models/churn-forest/versions/1/trust",
        {"types": ["sklearn.tree._tree.Tree"]},
        follow=True,
    )
    assert "Only a staff user" in response.content.decode()
    assert forest.versions.get().trusted is False


def test_download_page_link_returns_the_file(owner_client, ridge_v1):
    response = owner_client.get("/models/sales-ridge/versions/1/download")
    assert b"".join(response.streaming_content) == files.ridge_bytes()


def test_unknown_model_page_is_404(owner_client):
    assert owner_client.get("/models/nope/").status_code == 404


def test_upload_page_refuses_a_name_longer_than_a_chain_allows(owner_client):
    response = owner_client.post(
        "/models/new",
        {"name": "m" * 81, "file": files.upload("ridge.skops", files.ridge_bytes())},
    )
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert RegisteredModel.objects.count() == 0


def test_a_search_with_a_nul_character_is_not_a_500(owner_client, ridge_v1):
    # PostgreSQL refuses NUL in query parameters; CI runs this there too.
    response = owner_client.get("/models/?q=ridge%00")
    assert response.status_code == 200
    assert [m.name for m in response.context["page"]] == ["sales-ridge"]


def test_upload_page_refuses_overlong_notes_next_to_the_field(owner_client):
    response = owner_client.post(
        "/models/new",
        {
            "name": "sales-ridge",
            "file": files.upload("ridge.skops", files.ridge_bytes()),
            "notes": "n" * 10_001,
        },
    )
    assert response.status_code == 400
    assert "notes" in response.context["form"].errors
    assert RegisteredModel.objects.count() == 0


def test_the_model_list_asks_each_usage_provider_once_per_page(
    owner_client, api, owner, django_assert_max_num_queries
):
    asked: list[list[str]] = []

    def provider(names):
        asked.append(sorted(names))
        return {name: [UsageRef("pricing", 1, 1, "/chains/pricing/")] for name in names}

    for n in range(5):
        services.registered_model_create(name=f"m{n}", owner=owner)
    usage.register_usage_provider(provider)
    try:
        with django_assert_max_num_queries(8):
            page = owner_client.get("/models/")
        listed = api.get("/api/models/").json()["results"]
    finally:
        usage._providers.remove(provider)
    names = [f"m{n}" for n in range(5)]
    assert asked == [names, names]
    assert page.content.count(b"1 chain") == 5
    assert [m["used_by_chains"] for m in listed] == [1] * 5
