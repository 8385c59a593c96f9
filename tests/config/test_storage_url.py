"""CATENA_STORAGE_URL: parsed at start, refused loudly when wrong."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.storage import (
    LOCAL_BACKEND,
    S3_BACKEND,
    storage_redirects,
    storages_setting,
)


def test_no_storage_url_keeps_the_local_folder():
    assert storages_setting("") == {"BACKEND": LOCAL_BACKEND}
    assert storage_redirects("") is False


def test_an_s3_url_names_bucket_prefix_endpoint_and_credentials():
    url = "s3://AK:S%2Fk@catena/team/a?endpoint_url=http://h:8333&region_name=eu-1"
    found = storages_setting(url)
    assert found["BACKEND"] == S3_BACKEND
    options = found["OPTIONS"]
    assert options["bucket_name"] == "catena"
    assert options["location"] == "team/a"
    assert options["endpoint_url"] == "http://h:8333"
    assert options["region_name"] == "eu-1"
    assert (options["access_key"], options["secret_key"]) == ("AK", "S/k")
    assert "redirect" not in options
    assert storage_redirects(url) is True


def test_redirect_false_streams_downloads_through_the_server():
    assert storage_redirects("s3://catena?redirect=false") is False


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("gs://catena", "must start with s3://"),
        ("s3:///prefix", "names no bucket"),
        ("s3://catena?endpoint=http://h", "unknown option 'endpoint'"),
        ("s3://catena?redirect=maybe", "redirect must be true or false"),
        ("s3://catena?querystring_expire=-5", "querystring_expire must be > 0"),
    ],
)
def test_a_wrong_storage_url_fails_at_start_with_the_reason(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        storages_setting(url)
