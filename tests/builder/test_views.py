from __future__ import annotations

import json
import re

import pytest

from builder import runs_summary, services
from builder.models import Chain
from builder.views import script_json
from tests.builder import files


def test_the_home_page_redirects_to_the_chain_list(owner_client):
    response = owner_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/chains/"


def test_the_chain_list_shows_chains_with_their_latest_version(owner_client, saved):
    page = owner_client.get("/chains/").content.decode()
    assert "sales" in page
    assert "v1" in page
    assert "New chain" in page


def test_the_chain_list_searches_and_filters_by_owner(owner_client, saved, teammate):
    services.chain_create(name="churn", owner=teammate)
    assert "churn" not in owner_client.get("/chains/?q=sal").content.decode()
    by_owner = owner_client.get("/chains/?owner=teammate").content.decode()
    assert "churn" in by_owner
    assert 'href="/chains/sales/"' not in by_owner
    assert "No chain matches" in owner_client.get("/chains/?q=zzz").content.decode()


def test_the_chain_list_shows_the_last_run_from_a_provider(owner_client, saved):
    def provider(chain_ids):
        return {
            chain_id: {"status": "succeeded", "url": "/runs/7/"}
            for chain_id in chain_ids
        }

    runs_summary.register_provider(provider)
    try:
        page = owner_client.get("/chains/").content.decode()
    finally:
        runs_summary.unregister_provider(provider)
    assert 'class="badge succeeded" href="/runs/7/"' in page
    assert "/runs/7/" not in owner_client.get("/chains/").content.decode()


def test_the_chain_list_asks_anonymous_users_to_log_in(client):
    response = client.get("/chains/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_new_chain_creates_it_and_opens_the_editor(owner_client, owner):
    response = owner_client.post("/chains/new", {"name": "fresh", "title": "Fresh"})
    assert response.status_code == 302
    assert response["Location"] == "/chains/fresh/edit"
    assert Chain.objects.get().owner == owner


@pytest.mark.parametrize("name", ["bad name", ""])
def test_new_chain_with_a_bad_name_shows_the_form_again(owner_client, name):
    response = owner_client.post("/chains/new", {"name": name})
    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()
    assert Chain.objects.count() == 0


def test_new_chain_with_a_taken_name_says_so(owner_client, chain):
    response = owner_client.post("/chains/new", {"name": "sales"})
    assert "already exists" in response.content.decode()
    assert Chain.objects.count() == 1


def test_the_chain_page_draws_the_latest_version(owner_client, saved):
    page = owner_client.get("/chains/sales/").content.decode()
    assert "<svg" in page
    assert "sales-ridge@1" in page
    assert "Version 1" in page
    assert "/chains/sales/edit" in page
    assert "/runs/?chain=sales" in page


def test_the_chain_page_draws_any_version_and_diffs_two(
    owner_client, saved, chain, owner
):
    services.chain_version_save(chain=chain, document=files.stacked(), user=owner)
    old = owner_client.get("/chains/sales/?version=1").content.decode()
    assert "Version 1" in old
    assert 'transform="translate(' in old
    diff = owner_client.get("/chains/sales/?a=1&b=2").content.decode()
    assert "Changes from v1 to v2" in diff
    assert 'Node <strong class="mono">r1</strong> added' in diff
    assert 'Node <strong class="mono">ridge</strong> removed' in diff
    assert owner_client.get("/chains/sales/?version=9").status_code == 404
    bad = owner_client.get("/chains/sales/?a=1&b=9").content.decode()
    assert "Pick two existing versions" in bad


def test_the_chain_page_of_an_unsaved_chain_says_so(owner_client, chain):
    page = owner_client.get("/chains/sales/").content.decode()
    assert "No saved version yet" in page


def test_the_owner_can_make_a_version_live_from_the_page(owner_client, saved, chain):
    response = owner_client.post("/chains/sales/live", {"number": "1"})
    assert response.status_code == 302
    chain.refresh_from_db()
    assert chain.live_version == saved


def test_a_teammate_cannot_make_a_version_live(client, teammate, saved, chain):
    client.force_login(teammate)
    client.post("/chains/sales/live", {"number": "1"})
    chain.refresh_from_db()
    assert chain.live_version is None


def editor_context(response):
    config = json.loads(response.context["editor_config_json"])
    document = json.loads(response.context["document_json"])
    return config, document


def test_the_editor_gets_the_latest_document_and_its_api_urls(owner_client, saved):
    response = owner_client.get("/chains/sales/edit")
    assert response.status_code == 200
    assert response.context["version"] == saved
    config, document = editor_context(response)
    assert document == files.linear()
    assert config["chains"] == "/api/chains/"
    assert config["validate"] == "/api/validate"
    assert config["palette"] == "/api/palette"
    assert config["versions"] == "/api/chains/sales/versions/"
    assert config["draft"] == "/api/chains/sales/draft"
    assert config["import"] == "/api/chains/import"
    assert config["runs"] == "/api/runs/"
    assert config["datasets"] == "/api/datasets/"
    assert config["can_edit"] is True
    assert config["user"] == "owner"
    assert re.fullmatch(r"[A-Za-z0-9]{32,64}", config["csrf_token"])


def test_the_editor_of_a_new_chain_starts_from_an_empty_document(owner_client, chain):
    response = owner_client.get("/chains/sales/edit")
    assert response.context["version"] is None
    assert editor_context(response)[1] == {
        "format": "catena.chain/1",
        "nodes": [],
        "edges": [],
    }


def test_a_teammate_opens_the_editor_read_only(client, teammate, saved):
    client.force_login(teammate)
    config, _ = editor_context(client.get("/chains/sales/edit"))
    assert config["can_edit"] is False


def test_json_embedded_in_the_editor_page_cannot_close_its_script():
    value = {"title": "</script><script>alert(1)</script> & more"}
    text = script_json(value)
    assert "<" not in text
    assert json.loads(text) == value


def test_an_unknown_chain_page_is_a_404(owner_client):
    assert owner_client.get("/chains/nope/").status_code == 404
    assert owner_client.get("/chains/nope/edit").status_code == 404


@pytest.mark.parametrize(
    ("query", "names"), [("q=sal%00es", ["sales"]), ("owner=own%00er", [])]
)
def test_a_chain_search_with_a_nul_character_is_not_a_500(
    owner_client, chain, query, names
):
    # PostgreSQL refuses NUL in query parameters; CI runs this there too.
    response = owner_client.get(f"/chains/?{query}")
    assert response.status_code == 200
    assert [c.name for c in response.context["page"]] == names
