"""The chain page: newer versions of the models a chain follows, with their impact."""

from __future__ import annotations

import pytest

from builder import services
from registry import services as registry_services
from tests.builder import files
from tests.registry.test_impact import ridge_x3_bytes


@pytest.fixture
def ridge(owner):
    """sales-ridge v1, @production -> v1; then v2 needs x3 and v3 fits."""
    model = registry_services.registered_model_create(name="sales-ridge", owner=owner)
    for data in (files.ridge_bytes(), ridge_x3_bytes(), files.ridge_bytes(2.0)):
        registry_services.model_version_create(
            model=model, file=files.upload("ridge.skops", data), uploaded_by=owner
        )
    registry_services.alias_set(model=model, alias="production", number=1, user=owner)
    return model


def save(chain, owner, document):
    version, _ = services.chain_version_save(chain=chain, document=document, user=owner)
    return version


def section(page, section_id):
    start = page.index(f'id="{section_id}"')
    return page[start : page.index("</section>", start)]


def test_chain_page_lists_newer_versions_with_their_impact(
    owner_client, owner, chain, ridge
):
    save(chain, owner, files.linear("@production"))

    page = owner_client.get("/chains/sales/").content.decode()

    upcoming = section(page, "upcoming")
    assert "sales-ridge</a>@production" in upcoming
    assert "runs v1" in upcoming
    v3, v2 = upcoming.index(">v3</a>"), upcoming.index(">v2</a>")
    assert v3 < v2
    assert "node <code>ridge</code>: missing feature `x3`" in upcoming[v2:]
    assert "fits" in upcoming[v3:v2]


def test_a_chain_pinned_to_a_number_lists_no_newer_versions(
    owner_client, owner, chain, ridge
):
    save(chain, owner, files.linear(1))

    page = owner_client.get("/chains/sales/").content.decode()

    assert 'id="upcoming"' not in page


def test_the_owner_sees_what_a_forced_alias_move_broke(
    owner_client, owner, staff, chain, ridge
):
    version = save(chain, owner, files.linear("@production"))
    services.chain_live_set(chain=chain, number=version.number, user=owner)
    registry_services.alias_set(
        model=ridge, alias="production", number=2, user=staff, force=True
    )

    page = owner_client.get("/chains/sales/").content.decode()

    broke = section(page, "alias-breaks")
    assert "@production" in broke
    assert "v1 → v2" in broke
    assert "(live), node <code>ridge</code>" in broke
    assert "by staff" in broke
