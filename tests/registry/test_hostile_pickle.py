"""Pickles that hide their imports, trust decisions, and bombs in the sandbox."""

from __future__ import annotations

import os
import random

import pytest

from registry import services
from registry.models import ModelVersion, RegisteredModel, TrustRecord
from tests.registry import hostile
from tests.registry.files import upload

HIDERS = {
    "INST": hostile.pickle_inst,
    "memoised STACK_GLOBAL": hostile.pickle_memoised_stack_global,
    "decoy GLOBAL": hostile.pickle_decoy_global,
}


@pytest.fixture
def marker_dir(tmp_path):
    folder = tmp_path / "markers"
    folder.mkdir()
    return folder


def payload(marker_dir) -> str:
    """A command whose marker names the process that ran it ($PPID of sh)."""
    return f"touch {marker_dir}/ran-in-$PPID"


@pytest.mark.parametrize("hider", HIDERS, ids=list(HIDERS))
def test_the_listing_names_the_system_call_however_it_is_hidden(
    sales, owner, marker_dir, hider
):
    data = HIDERS[hider](payload(marker_dir))
    version = services.model_version_create(
        model=sales, file=upload("m.pkl", data), uploaded_by=owner
    )
    assert {"os.system", "posix.system"} & set(version.untrusted_types)
    assert version.trusted is False
    assert list(marker_dir.iterdir()) == []


def test_a_trust_of_exactly_the_listing_runs_no_code_in_this_process(
    sales, owner, staff, marker_dir, api
):
    data = hostile.pickle_memoised_stack_global(payload(marker_dir))
    version = services.model_version_create(
        model=sales, file=upload("m.pkl", data), uploaded_by=owner
    )
    api.force_authenticate(staff)
    response = api.post(
        "/api/models/sales-ridge/versions/1/trust",
        {"types": version.untrusted_types},
        format="json",
    )
    assert response.status_code == 400
    assert "offers none of" in response.json()["message"]
    assert not (marker_dir / f"ran-in-{os.getpid()}").exists()
    # The payload did run, in the sandbox: that is what trusting means.
    assert len(list(marker_dir.iterdir())) == 1
    record = TrustRecord.objects.get(version=version)
    assert record.types == version.untrusted_types
    assert record.trusted_by == staff
    version.refresh_from_db()
    assert version.trusted is False


def test_a_pickle_with_a_name_it_cannot_account_for_is_refused(sales, owner):
    # STACK_GLOBAL on a memo slot never filled: picklescan can only say "unknown".
    data = b"\x80\x04h\x07h\x08\x93N\x85R."
    with pytest.raises(Exception, match="cannot be fully listed"):
        services.model_version_create(
            model=sales, file=upload("m.pkl", data), uploaded_by=owner
        )
    assert ModelVersion.objects.count() == 0


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_are_not_a_joblib_model(sales, owner, seed):
    # Seeded: 1 in 200 random tails after a pickle header read as the start of
    # an import (e.g. a STACK_GLOBAL byte next), which is no longer noise but
    # a pickle that cannot be listed, kept untrusted (CI met one).
    noise = random.Random(seed).randbytes(200)
    for data in (b"\x80\x05" + noise, b"x" + noise):
        with pytest.raises(Exception, match="not a joblib file"):
            services.model_version_create(
                model=sales, file=upload("m.joblib", data), uploaded_by=owner
            )
    assert ModelVersion.objects.count() == 0


def test_an_opcode_bomb_is_refused_before_the_scanner_lists_it(api, sales):
    data = hostile.pickle_opcode_bomb(1_100_000)
    response = api.post(
        "/api/models/sales-ridge/versions/",
        {"file": upload("bomb.pkl", data)},
        format="multipart",
    )
    assert response.status_code == 400
    assert "more than 2,000,000 opcodes" in str(response.json())
    assert ModelVersion.objects.count() == 0


def test_a_memory_bomb_being_trusted_is_stopped_by_the_limit_with_a_400(
    api, sales, owner, staff, settings
):
    settings.CATENA_SANDBOX_MEMORY_MB = 700
    bomb = b"cbuiltins\nbytearray\n(I3000000000\ntR."
    version = services.model_version_create(
        model=sales, file=upload("bomb.pkl", bomb), uploaded_by=owner
    )
    api.force_authenticate(staff)
    response = api.post(
        "/api/models/sales-ridge/versions/1/trust",
        {"types": version.untrusted_types},
        format="json",
    )
    assert response.status_code == 400
    assert "memory limit of 700 MB" in response.json()["message"]
    assert TrustRecord.objects.filter(version=version).count() == 1
    version.refresh_from_db()
    assert version.trusted is False
    # This process is alive and still answers.
    assert api.get("/api/models/sales-ridge/versions/").status_code == 200


def test_a_refused_first_upload_leaves_no_empty_model(api, media_root):
    response = api.post(
        "/api/models/",
        {"name": "fresh", "file": upload("m.joblib", b"x" + os.urandom(100))},
        format="multipart",
    )
    assert response.status_code == 400
    assert "not a joblib file" in str(response.json())
    assert RegisteredModel.objects.count() == 0
    assert ModelVersion.objects.count() == 0


def test_a_model_and_its_first_version_in_one_request(api):
    from tests.registry import files

    response = api.post(
        "/api/models/",
        {"name": "fresh", "file": upload("r.skops", files.ridge_bytes())},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["latest_version"] == 1
