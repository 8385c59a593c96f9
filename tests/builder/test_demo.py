from __future__ import annotations

import pytest

from builder.demo import demo_chains_install
from builder.models import Chain, ChainVersion
from builder.validation import chain_validate
from registry.demo import demo_models_install


def test_demo_chains_are_saved_valid_once(staff):
    demo_models_install(user=staff)
    summary = demo_chains_install(user=staff)
    assert summary == "Demo chains: saved sales-stacked, sales-optimize, iris-vote."
    assert sorted(Chain.objects.values_list("name", flat=True)) == [
        "iris-vote",
        "sales-optimize",
        "sales-stacked",
    ]
    for version in ChainVersion.objects.all():
        assert chain_validate(version.document)[0] == []
    assert "nothing changed" in demo_chains_install(user=staff)
    assert ChainVersion.objects.count() == 3


def test_demo_chains_wait_for_the_demo_models(staff):
    assert "nothing changed" in demo_chains_install(user=staff)
    assert Chain.objects.count() == 0


@pytest.mark.parametrize("name", ["sales-stacked", "sales-optimize"])
def test_the_demo_sales_chain_round_trips_through_a_wiped_site(
    staff, staff_api, media_root, name
):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from registry.models import ModelVersion
    from tests.builder.test_bundle import wipe

    demo_models_install(user=staff)
    demo_chains_install(user=staff)
    original = ChainVersion.objects.get(chain__name=name)
    response = staff_api.get(f"/api/chains/{name}/versions/1/export?bundle=zip")
    data = b"".join(response.streaming_content)
    wipe(media_root)

    def send(query=""):
        bundle = SimpleUploadedFile("b.zip", io.BytesIO(data).read())
        return staff_api.post(
            "/api/chains/import" + query, {"bundle": bundle}, format="multipart"
        )

    refused = send()
    assert refused.status_code == 400
    assert "?trust=true" in refused.json()["message"]
    assert ModelVersion.objects.count() == 0
    assert [p for p in media_root.rglob("*") if p.is_file()] == []

    response = send("?trust=true")
    assert response.status_code == 201, response.json()
    imported = ChainVersion.objects.get(chain__name=name)
    assert imported.hash == original.hash
    assert imported.document == original.document
    assert chain_validate(imported.document)[0] == []


def test_only_staff_may_trust_on_import(api, owner):
    response = api.post("/api/chains/import?trust=true", {"format": "x"}, format="json")
    assert response.status_code in (400, 403)
    assert Chain.objects.count() == 0
