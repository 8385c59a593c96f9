from __future__ import annotations

from builder.demo import demo_chains_install
from builder.models import Chain, ChainVersion
from builder.validation import chain_validate
from registry.demo import demo_models_install


def test_demo_chains_are_saved_valid_once(staff):
    demo_models_install(user=staff)
    summary = demo_chains_install(user=staff)
    assert summary == "Demo chains: saved sales-stacked, iris-vote."
    assert sorted(Chain.objects.values_list("name", flat=True)) == [
        "iris-vote",
        "sales-stacked",
    ]
    for version in ChainVersion.objects.all():
        assert chain_validate(version.document)[0] == []
    assert "nothing changed" in demo_chains_install(user=staff)
    assert ChainVersion.objects.count() == 2


def test_demo_chains_wait_for_the_demo_models(staff):
    assert "nothing changed" in demo_chains_install(user=staff)
    assert Chain.objects.count() == 0
