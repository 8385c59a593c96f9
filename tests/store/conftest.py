"""A real SeaweedFS for the session; each test gets a folder of one bucket."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from config.storage import storages_setting
from tests.runner.conftest import (  # noqa: F401 - fixtures
    _graph_cache_clear,
    drain,
    media,
)
from tests.store.seaweed import Seaweed, seaweed_server


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory) -> Iterator[Seaweed]:
    """``weed server`` with its S3 gateway, started once for the session."""
    with seaweed_server(tmp_path_factory.mktemp("seaweed")) as server:
        yield server


@pytest.fixture(scope="session")
def seaweed_bucket(seaweed) -> str:
    # One bucket: each bucket is a SeaweedFS collection with volumes of its own.
    return seaweed.bucket_make()


@dataclass
class Bucket:
    """Where the default storage points in this test: a bucket and a prefix."""

    name: str
    prefix: str
    url: str
    server: Seaweed

    def names(self) -> list[str]:
        """The test's object keys, relative to its prefix (as storage names)."""
        found = self.server.keys(self.name, self.prefix + "/")
        return [key.removeprefix(self.prefix + "/") for key in found]

    def get(self, name: str) -> bytes:
        key = f"{self.prefix}/{name}"
        body = self.server.client().get_object(Bucket=self.name, Key=key)["Body"]
        return bytes(body.read())


@pytest.fixture
def bucket(seaweed, seaweed_bucket, settings, tmp_path) -> Bucket:
    """Model files, data sets and outputs go to the bucket in this test."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    url = seaweed.storage_url(seaweed_bucket, prefix)
    settings.STORAGES = {**settings.STORAGES, "default": storages_setting(url)}
    settings.CATENA_STORAGE_REDIRECT = True
    # Anything still written to the local folder would show up here.
    settings.MEDIA_ROOT = tmp_path / "media"
    return Bucket(name=seaweed_bucket, prefix=prefix, url=url, server=seaweed)
