from __future__ import annotations

import pytest

from builder import services
from builder.models import Chain, ChainDraft, ChainVersion, ChainVersionModel
from config.exceptions import CatenaAppError
from registry.usage import usages_of
from tests.builder import files


def test_saving_a_valid_document_creates_version_1(chain, owner, ridge):
    version, created = services.chain_version_save(
        chain=chain, document=files.linear(), user=owner, message="first"
    )
    assert created is True
    assert version.number == 1
    assert version.document == files.linear()
    assert len(version.hash) == 64
    assert version.saved_by == owner
    assert version.message == "first"


def test_saving_the_same_document_again_creates_no_version(saved, chain, owner):
    version, created = services.chain_version_save(
        chain=chain, document=files.linear(), user=owner
    )
    assert created is False
    assert version == saved
    assert ChainVersion.objects.count() == 1


def test_a_changed_document_gets_the_next_number(saved, chain, owner):
    version, created = services.chain_version_save(
        chain=chain, document=files.linear(version=2), user=owner
    )
    assert created is True
    assert version.number == 2
    assert version.hash != saved.hash


def test_moving_nodes_keeps_the_hash_but_saves_the_layout(saved, chain, owner):
    moved = files.linear()
    moved["layout"]["out"] = [600, 200]
    version, created = services.chain_version_save(
        chain=chain, document=moved, user=owner
    )
    assert created is True
    assert version.hash == saved.hash
    assert version.document["layout"]["out"] == [600, 200]


def test_a_document_with_problems_is_refused_and_nothing_is_stored(chain, owner, ridge):
    broken = files.linear()
    broken["nodes"][0] = files.inp(price="float")  # area is missing upstream
    with pytest.raises(CatenaAppError, match="only as a draft") as caught:
        services.chain_version_save(chain=chain, document=broken, user=owner)
    codes = [p["code"] for p in caught.value.extra["problems"]]
    assert codes == ["missing_features"]
    assert "area" in caught.value.extra["problems"][0]["message"]
    assert ChainVersion.objects.count() == 0


def test_only_the_owner_or_staff_may_save_versions(chain, teammate, staff, ridge):
    with pytest.raises(CatenaAppError, match="Only the owner") as caught:
        services.chain_version_save(chain=chain, document=files.linear(), user=teammate)
    assert caught.value.status_code == 403
    assert ChainVersion.objects.count() == 0
    version, _ = services.chain_version_save(
        chain=chain, document=files.linear(), user=staff
    )
    assert version.saved_by == staff


def test_chain_names_are_unique(chain, owner):
    with pytest.raises(CatenaAppError, match="already exists"):
        services.chain_create(name="sales", owner=owner)
    assert Chain.objects.count() == 1


def test_a_bad_chain_name_is_refused(owner):
    with pytest.raises(Exception, match="slug"):
        services.chain_create(name="not a slug!", owner=owner)
    assert Chain.objects.count() == 0


def test_live_version_is_set_and_cleared(saved, chain, owner):
    services.chain_live_set(chain=chain, number=1, user=owner)
    chain.refresh_from_db()
    assert chain.live_version == saved
    services.chain_live_set(chain=chain, number=None, user=owner)
    chain.refresh_from_db()
    assert chain.live_version is None


def test_live_version_must_exist(saved, chain, owner):
    with pytest.raises(CatenaAppError, match="no version 7"):
        services.chain_live_set(chain=chain, number=7, user=owner)
    chain.refresh_from_db()
    assert chain.live_version is None


def test_a_draft_may_have_problems_and_is_replaced(chain, owner):
    draft = services.chain_draft_save(
        chain=chain, user=owner, document={"format": "catena.chain/1", "nodes": []}
    )
    again = services.chain_draft_save(
        chain=chain, user=owner, document={"format": "x"}, base_number=None
    )
    assert again.pk == draft.pk
    assert ChainDraft.objects.get().document == {"format": "x"}


def test_saving_a_version_clears_the_users_draft(chain, owner, ridge):
    services.chain_draft_save(chain=chain, user=owner, document=files.linear())
    services.chain_version_save(chain=chain, document=files.linear(), user=owner)
    assert ChainDraft.objects.count() == 0


def test_model_references_are_recorded_for_the_registry(saved, ridge):
    refs = list(
        ChainVersionModel.objects.values_list("node_id", "model_name", "reference")
    )
    assert refs == [("ridge", "sales-ridge", "1")]
    usages = usages_of(ridge)
    assert [(u.chain, u.chain_version, u.reference) for u in usages] == [
        ("sales", 1, 1)
    ]
    assert usages[0].url == "/chains/sales/?version=1"
