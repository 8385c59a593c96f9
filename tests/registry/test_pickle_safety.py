"""A pickle that runs a command when unpickled must never run until trusted."""

from __future__ import annotations

import pytest

from catena import graph, validation
from registry import services
from registry.resolver import RegistryResolver
from tests.registry import files


@pytest.fixture
def marker(tmp_path):
    return tmp_path / "pwned"


@pytest.fixture
def boom(owner, marker):
    model = services.registered_model_create(name="boom", owner=owner)
    return services.model_version_create(
        model=model,
        file=files.upload("boom.pkl", files.boom_bytes(str(marker))),
        uploaded_by=owner,
    )


def chain_doc():
    return {
        "format": "catena.chain/1",
        "nodes": [
            {"id": "in", "kind": "input", "params": {"schema": [["x0", "float"]]}},
            {"id": "m", "kind": "model", "params": {"model": "boom", "version": 1}},
            {"id": "out", "kind": "output", "params": {}},
        ],
        "edges": [["in", "m"], ["m", "out"]],
    }


def test_upload_stores_the_pickle_untrusted_and_lists_its_globals(boom, marker):
    assert boom.trusted is False
    assert boom.format == "pickle"
    assert "posix.system" in boom.untrusted_types
    assert marker.exists() is False


def test_listing_pages_and_download_do_not_unpickle(boom, marker, owner_client, api):
    assert owner_client.get("/models/").status_code == 200
    assert owner_client.get("/models/boom/").status_code == 200
    page = owner_client.get("/models/boom/versions/1/")
    assert b"posix.system" in page.content
    assert b"".join(owner_client.get("/models/boom/versions/1/download")) != b""
    assert api.get("/api/models/boom/versions/").status_code == 200
    download = api.get("/api/models/boom/versions/1/download")
    assert b"".join(download.streaming_content) == boom.file.open("rb").read()
    assert marker.exists() is False


def test_resolving_and_validating_a_chain_does_not_unpickle(boom, marker):
    resolved = RegistryResolver().resolve("boom", 1)
    assert resolved.trusted is False
    report = validation.check(graph.load(chain_doc()), RegistryResolver())
    assert "untrusted_model" in [p.code for p in report.problems]
    assert marker.exists() is False


def test_loading_an_untrusted_pickle_is_refused(boom, marker):
    resolved = RegistryResolver().resolve("boom", 1)
    with pytest.raises(Exception, match="not trusted"):
        resolved.load()
    assert marker.exists() is False


def test_only_a_staff_trust_decision_unpickles(boom, marker, staff):
    # The trust loads the file; this one is not a model, so trust is refused,
    # but the command ran: that is what the warning on the button says.
    with pytest.raises(Exception, match="offers none of"):
        services.model_version_trust(version=boom, user=staff)
    assert marker.exists() is True
    boom.refresh_from_db()
    assert boom.trusted is False


def test_trusted_pickle_model_learns_its_signature(owner, staff):
    model = services.registered_model_create(name="pickled", owner=owner)
    version = services.model_version_create(
        model=model,
        file=files.upload("ridge.pkl", files.ridge_pickle_bytes()),
        uploaded_by=owner,
        sklearn_version="0.24.2",
    )
    assert version.signature == {}
    version = services.model_version_trust(version=version, user=staff)
    assert version.trusted is True
    assert version.signature["inputs"] == [["price", "float"], ["area", "float"]]
    resolved = RegistryResolver().resolve("pickled", "@latest")
    assert any("scikit-learn 0.24.2" in w for w in resolved.warnings)
