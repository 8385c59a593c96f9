"""Oversize multipart uploads are refused before or while the body streams in."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from registry import services
from registry.models import ModelVersion
from tests.config.wsgi import wsgi_post

MB = 1024 * 1024


@pytest.fixture
def sales(owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return services.registered_model_create(name="sales-ridge", owner=owner)


def multipart(size: int) -> bytes:
    upload = SimpleUploadedFile("big.skops", b"x" * size)
    return encode_multipart(BOUNDARY, {"file": upload, "notes": "big"})


def stored_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return [str(p) for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_body_above_the_limit_is_refused_before_it_is_read(sales, owner, settings):
    settings.CATENA_MAX_UPLOAD_MB = 1
    body = multipart(3 * MB)
    answer = wsgi_post(
        "/api/models/sales-ridge/versions/", body, MULTIPART_CONTENT, owner
    )
    assert answer.status == 413
    error = json.loads(answer.body)
    assert error["extra"]["limit"] == "upload"
    assert error["extra"]["got"] == len(body)
    assert "the upload limit is 1 MB" in error["message"]
    assert answer.bytes_read == 0
    assert ModelVersion.objects.count() == 0
    assert stored_files(settings) == []


def test_a_file_passing_the_limit_is_cut_off_while_streaming(sales, owner, settings):
    settings.CATENA_MAX_UPLOAD_MB = 1
    # Under the Content-Length check (limit + 1 MiB for form fields), so the
    # handler has to count the file's bytes as they arrive.
    body = multipart(MB + MB // 2)
    answer = wsgi_post(
        "/api/models/sales-ridge/versions/", body, MULTIPART_CONTENT, owner
    )
    assert answer.status == 413
    error = json.loads(answer.body)
    assert error["message"] == (
        "The file 'big.skops' is larger than the upload limit of 1 MB "
        "(CATENA_MAX_UPLOAD_MB)."
    )
    assert error["extra"]["field"] == "file"
    assert answer.bytes_read < len(body) - MB // 4
    assert ModelVersion.objects.count() == 0
    assert stored_files(settings) == []


def test_a_file_just_above_the_limit_keeps_the_precise_message(sales, owner, settings):
    settings.CATENA_MAX_UPLOAD_MB = 1
    answer = wsgi_post(
        "/api/models/sales-ridge/versions/",
        multipart(MB + 10),
        MULTIPART_CONTENT,
        owner,
    )
    assert answer.status == 413
    assert json.loads(answer.body)["message"] == (
        "The file is 1.0 MB; the upload limit is 1 MB."
    )
    assert ModelVersion.objects.count() == 0


def test_an_upload_page_says_why_an_oversize_body_is_refused(sales, owner, settings):
    settings.CATENA_MAX_UPLOAD_MB = 1
    answer = wsgi_post(
        "/models/sales-ridge/upload", multipart(3 * MB), MULTIPART_CONTENT, owner
    )
    assert answer.status == 413
    assert b"the upload limit is 1 MB (CATENA_MAX_UPLOAD_MB)" in answer.body
    assert answer.bytes_read == 0
    assert ModelVersion.objects.count() == 0
