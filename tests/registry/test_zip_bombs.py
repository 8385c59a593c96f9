"""skops zip bombs are refused before anything is unpacked, in bounded memory."""

from __future__ import annotations

import contextlib
import io
import tracemalloc
import zipfile

import pytest

from registry import services
from registry.formats.ziplimits import ZipLimitError, zip_entry_count, zip_open
from registry.models import ModelVersion
from tests.registry import files, hostile
from tests.registry.files import upload


def peak_mb(call) -> float:
    tracemalloc.start()
    # The refusal itself is asserted by each test; here only the memory counts.
    with contextlib.suppress(Exception):
        call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1024 / 1024


def test_a_skops_schema_bomb_is_refused_in_bounded_memory(api, sales, media_root):
    data = hostile.skops_schema_bomb(200)  # 200 KB unpacking to 200 MB
    post = lambda: api.post(  # noqa: E731
        "/api/models/sales-ridge/versions/",
        {"file": upload("bomb.skops", data)},
        format="multipart",
    )
    response = post()
    assert response.status_code == 400
    assert "schema.json is larger than the limit" in str(response.json())
    assert ModelVersion.objects.count() == 0
    # Before: the schema was read whole here (459 MB traced peak, 3.4 s).
    assert peak_mb(post) < 20


def test_a_skops_file_over_the_total_unpacked_size_is_refused(sales, owner, settings):
    settings.CATENA_MAX_UNCOMPRESSED_MB = 50
    data = hostile.skops_schema_bomb(60)
    with pytest.raises(Exception, match="unpacks to .* the limit is 52,428,800"):
        services.model_version_create(
            model=sales, file=upload("bomb.skops", data), uploaded_by=owner
        )
    assert ModelVersion.objects.count() == 0


def test_the_entry_count_is_read_before_the_directory_is_parsed():
    data = hostile.zip_with_entries(200_000)
    assert zip_entry_count(io.BytesIO(data)) == 200_000
    with pytest.raises(ZipLimitError, match="200,000 files; the limit is 10,000"):
        zip_open(io.BytesIO(data), max_members=10_000, max_total_bytes=1 << 30)
    # zipfile.ZipFile would build 200,000 ZipInfo objects (over 100 MB).
    assert (
        peak_mb(
            lambda: zip_open(io.BytesIO(data), max_members=10_000, max_total_bytes=1)
        )
        < 2 * len(data) / 1024 / 1024 + 5
    )


def test_duplicate_member_names_are_refused(sales, owner):
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(files.ridge_bytes())) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for name in source.namelist():
            target.writestr(name, source.read(name))
        with pytest.warns(UserWarning, match="Duplicate name"):
            target.writestr("schema.json", b"{}")
    with pytest.raises(Exception, match="'schema.json' more than once"):
        services.model_version_create(
            model=sales, file=upload("dup.skops", out.getvalue()), uploaded_by=owner
        )
    assert ModelVersion.objects.count() == 0
