from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from builder.models import Chain, ChainVersion
from builder.validation import chain_validate
from registry import services as registry_services
from registry.models import Alias, AliasMove, ModelVersion, RegisteredModel, TrustRecord
from tests.builder import files

EXPORT = "/api/chains/sales/versions/1/export"
IMPORT = "/api/chains/import"


def zip_of(api, url=EXPORT) -> bytes:
    response = api.get(url + "?bundle=zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return b"".join(response.streaming_content)


def upload(api, data: bytes, query=""):
    bundle = SimpleUploadedFile("chain.zip", data, content_type="application/zip")
    return api.post(IMPORT + query, {"bundle": bundle}, format="multipart")


def rezip(data: bytes, change) -> bytes:
    """A copy of a zip with its members changed by ``change(dict) -> dict``."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in change(members).items():
            archive.writestr(name, content)
    return out.getvalue()


def wipe(media_root):
    Chain.objects.all().delete()
    for model in (AliasMove, Alias, TrustRecord, ModelVersion, RegisteredModel):
        model.objects.all().delete()
    shutil.rmtree(media_root, ignore_errors=True)


def registry_rows():
    return (RegisteredModel.objects.count(), ModelVersion.objects.count())


def stored_files(media_root):
    return sorted(p.name for p in media_root.rglob("*") if p.is_file())


@pytest.fixture
def stacked(chain, owner, ridge):
    from builder import services

    version, _ = services.chain_version_save(
        chain=chain, document=files.stacked(), user=owner, message="stack"
    )
    return version


def test_export_names_each_model_with_version_and_sha256(api, stacked, ridge):
    body = api.get(EXPORT).json()
    assert body["format"] == "catena.export/1"
    assert body["chain"]["name"] == "sales"
    assert body["document"] == files.stacked()
    assert body["version"]["hash"] == stacked.hash
    rows = [(m["name"], m["version"], m["references"]) for m in body["models"]]
    assert rows == [
        ("sales-ridge", 1, {"r1": 1}),
        ("sales-ridge", 2, {"r2": "@production"}),
    ]
    v2 = ModelVersion.objects.get(model=ridge, number=2)
    assert body["models"][1]["sha256"] == v2.sha256


def test_the_zip_bundle_holds_the_manifest_and_model_files(api, stacked):
    with zipfile.ZipFile(io.BytesIO(zip_of(api))) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for entry in manifest["models"]:
            data = archive.read(entry["file"])
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]


def test_round_trip_through_a_wiped_installation(api, stacked, media_root):
    data = zip_of(api)
    wipe(media_root)
    assert stored_files(media_root) == []
    response = upload(api, data)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["rewritten"] == []
    assert [m["status"] for m in body["models"]] == ["created", "created"]
    version = ChainVersion.objects.get(chain__name="sales")
    assert version.hash == stacked.hash
    assert version.document == files.stacked()
    assert chain_validate(version.document)[0] == []
    assert Alias.objects.get().version.number == 2


def test_import_of_json_reuses_models_already_present(api, saved, ridge):
    manifest = api.get(EXPORT).json()
    response = api.post(IMPORT + "?name=sales-copy", manifest, format="json")
    assert response.status_code == 201
    assert response.json()["models"][0]["status"] == "reused"
    copy = ChainVersion.objects.get(chain__name="sales-copy")
    assert copy.hash == saved.hash
    assert registry_rows() == (1, 2)


def test_a_chain_name_clash_is_reported_and_nothing_stored(api, saved, media_root):
    data = zip_of(api)
    before = (Chain.objects.count(), ChainVersion.objects.count(), registry_rows())
    response = upload(api, data)
    assert response.status_code == 409
    assert response.json()["extra"]["clashes"] == [{"kind": "chain", "name": "sales"}]
    assert (
        Chain.objects.count(),
        ChainVersion.objects.count(),
        registry_rows(),
    ) == before


def test_a_model_whose_files_differ_here_gets_a_new_version(
    api, saved, media_root, owner
):
    data = zip_of(api)
    wipe(media_root)
    other = registry_services.registered_model_create(name="sales-ridge", owner=owner)
    registry_services.model_version_create(
        model=other,
        file=files.upload("r.skops", files.ridge_bytes(9.0)),
        uploaded_by=owner,
    )
    response = upload(api, data)
    assert response.status_code == 201
    body = response.json()
    assert body["models"][0]["status"] == "registered"
    assert body["models"][0]["local_version"] == 2
    assert body["rewritten"] == [{"node": "ridge", "old": 1, "new": 2}]
    assert "registered as v2" in body["clashes"][0]
    assert (
        ModelVersion.objects.get(model=other, number=1).sha256
        != body["models"][0]["sha256"]
    )


def test_a_model_file_that_does_not_match_its_sha256_is_refused(api, saved, media_root):
    data = zip_of(api)
    wipe(media_root)

    def corrupt(members):
        name = next(n for n in members if n.startswith("models/"))
        members[name] = members[name] + b"tampered"
        return members

    response = upload(api, rezip(data, corrupt))
    assert response.status_code == 400
    assert "sha256" in response.json()["message"]
    assert response.json()["extra"]["model"] == "sales-ridge"
    assert registry_rows() == (0, 0)
    assert Chain.objects.count() == 0
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    "evil", ["../evil.txt", "/etc/evil", "models/../../x", "a\\..\\b"]
)
def test_a_zip_with_paths_that_climb_out_is_refused(api, saved, evil):
    data = rezip(zip_of(api), lambda m: {**m, evil: b"x"})
    before = (Chain.objects.count(), registry_rows())
    response = upload(api, data, "?name=other")
    assert response.status_code == 400
    assert "leaves its folder" in response.json()["message"]
    assert response.json()["extra"]["member"] == evil
    assert (Chain.objects.count(), registry_rows()) == before


def test_a_json_import_of_models_absent_here_names_them(api, saved, media_root):
    manifest = api.get(EXPORT).json()
    wipe(media_root)
    response = api.post(IMPORT, manifest, format="json")
    assert response.status_code == 400
    assert response.json()["extra"]["missing_models"] == ["sales-ridge v1"]
    assert Chain.objects.count() == 0


def test_a_failed_import_leaves_no_rows_and_no_files(api, saved, media_root, owner):
    data = zip_of(api)
    wipe(media_root)

    def break_document(members):
        manifest = json.loads(members["manifest.json"])
        manifest["document"]["nodes"][0]["params"]["schema"] = [["price", "float"]]
        members["manifest.json"] = json.dumps(manifest)
        return members

    response = upload(api, rezip(data, break_document))
    assert response.status_code == 400
    assert response.json()["extra"]["problems"][0]["code"] == "missing_features"
    assert registry_rows() == (0, 0)
    assert Chain.objects.count() == 0
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a zip", "not a zip"),
        (b"", "not a zip"),
    ],
)
def test_a_bundle_that_is_not_a_zip_is_refused(api, saved, data, message):
    response = upload(api, data)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert Chain.objects.count() == 1


def test_a_bundle_without_manifest_or_with_a_bad_one_is_refused(api, saved):
    data = zip_of(api)
    no_manifest = rezip(
        data, lambda m: {k: v for k, v in m.items() if k != "manifest.json"}
    )
    assert "no manifest.json" in upload(api, no_manifest).json()["message"]
    bad_format = rezip(data, lambda m: {**m, "manifest.json": b'{"format": "zip/0"}'})
    response = upload(api, bad_format)
    assert response.status_code == 400
    assert "manifest" in response.json()["message"]
    assert Chain.objects.count() == 1


def test_a_multipart_import_without_a_file_is_a_400(api, saved):
    response = api.post(IMPORT, {"other": "x"}, format="multipart")
    assert response.status_code == 400
    assert "bundle" in response.json()["message"]


def test_a_manifest_must_list_the_model_of_every_model_node(api, saved):
    manifest = api.get(EXPORT).json()
    manifest["models"] = []
    response = api.post(IMPORT + "?name=copy", manifest, format="json")
    assert response.status_code == 400
    assert response.json()["extra"]["nodes"] == ["ridge"]
    assert Chain.objects.count() == 1


def test_a_raw_zip_body_imports_too(api, saved):
    response = api.post(
        IMPORT + "?name=raw", zip_of(api), content_type="application/zip"
    )
    assert response.status_code == 201, response.json()
    assert ChainVersion.objects.get(chain__name="raw").hash == saved.hash


def test_a_raw_body_over_the_limit_is_refused(api, saved, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = api.post(IMPORT, b"x" * 1000, content_type="application/zip")
    assert response.status_code == 413
    assert response.json()["extra"]["limit"] == "body"
    assert Chain.objects.count() == 1


def test_a_tampered_file_is_refused_even_when_its_model_is_present(api, saved):
    def corrupt(members):
        name = next(n for n in members if n.startswith("models/"))
        members[name] = members[name] + b"tampered"
        return members

    before = (Chain.objects.count(), ChainVersion.objects.count(), registry_rows())
    response = upload(api, rezip(zip_of(api), corrupt), "?name=copy")
    assert response.status_code == 400
    assert "sha256" in response.json()["message"]
    assert response.json()["extra"]["model"] == "sales-ridge"
    assert (
        Chain.objects.count(),
        ChainVersion.objects.count(),
        registry_rows(),
    ) == before


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_a_manifest_with_nan_or_infinity_is_refused(api, saved, constant):
    def poison(members):
        manifest = json.loads(members["manifest.json"])
        text = json.dumps(manifest).replace(
            '"document": {', f'"document": {{"note": {constant}, ', 1
        )
        members["manifest.json"] = text.encode()
        assert constant in members["manifest.json"].decode()
        return members

    before = (Chain.objects.count(), ChainVersion.objects.count(), registry_rows())
    response = upload(api, rezip(zip_of(api), poison), "?name=copy")
    assert response.status_code == 400
    assert f"{constant} is not valid JSON" in response.json()["message"]
    assert response.json()["extra"]["part"] == "manifest"
    assert (
        Chain.objects.count(),
        ChainVersion.objects.count(),
        registry_rows(),
    ) == before


def test_a_bundle_with_two_manifests_is_refused(api, saved, media_root):
    data = zip_of(api)
    wipe(media_root)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for name in source.namelist():
            target.writestr(name, source.read(name))
        with pytest.warns(UserWarning, match="Duplicate name"):
            target.writestr("manifest.json", b'{"format": "other"}')
    response = upload(api, out.getvalue())
    assert response.status_code == 400
    assert "'manifest.json' more than once" in response.json()["message"]
    assert response.json()["extra"]["limit"] == "duplicate_member"
    assert registry_rows() == (0, 0)
    assert Chain.objects.count() == 0


def test_a_manifest_pointing_many_entries_at_one_member_is_refused(
    api, saved, media_root
):
    data = zip_of(api)
    wipe(media_root)

    def amplify(members):
        manifest = json.loads(members["manifest.json"])
        entry = manifest["models"][0]
        manifest["models"] = [
            {**entry, "version": n, "references": {f"n{n}": n}} for n in range(1, 21)
        ]
        members["manifest.json"] = json.dumps(manifest).encode()
        return members

    response = upload(api, rezip(data, amplify))
    assert response.status_code == 400
    assert (
        "each file of a bundle belongs to one model version"
        in (response.json()["message"])
    )
    assert registry_rows() == (0, 0)
    assert Chain.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_bundle_of_200000_entries_is_refused_before_its_directory_is_parsed(
    api, saved
):
    import tracemalloc

    from builder import bundle
    from config.exceptions import CatenaAppError
    from tests.registry import hostile

    data = hostile.zip_with_entries(200_000)
    tracemalloc.start()
    with pytest.raises(CatenaAppError, match="200,000 files; the limit is 2,000"):
        bundle.bundle_open(io.BytesIO(data))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 * 1024 * 1024
    before = (Chain.objects.count(), registry_rows())
    response = upload(api, data, "?name=other")
    assert response.status_code == 400
    assert response.json()["extra"]["limit"] == "members"
    assert (Chain.objects.count(), registry_rows()) == before
