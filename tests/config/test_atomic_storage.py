"""The local storage shows a file under its name only when it is whole."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile, File

from config.storage import AtomicFileSystemStorage


class _Breaks(File):
    """Content whose second chunk fails, like a connection lost mid-upload."""

    def __init__(self) -> None:
        super().__init__(None, name="model.pkl")
        self.size = 2

    def chunks(self, chunk_size=None):
        yield b"first half"
        raise OSError("the upload was cut")


def test_a_write_that_fails_midway_leaves_no_file_behind(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    with pytest.raises(OSError, match="the upload was cut"):
        storage.save("registry/m/1-abc.pkl", _Breaks())
    assert storage.exists("registry/m/1-abc.pkl") is False
    assert list((tmp_path / "registry" / "m").iterdir()) == []


def test_a_taken_name_gets_another_and_the_first_file_is_kept(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    first = storage.save("registry/m/1.pkl", ContentFile(b"one"))
    second = storage.save("registry/m/1.pkl", ContentFile(b"two"))
    assert first == "registry/m/1.pkl"
    assert second != first
    assert second.startswith("registry/m/1_")
    assert storage.open(first).read() == b"one"
    assert storage.open(second).read() == b"two"
    assert (tmp_path / "registry/m/1.pkl").stat().st_mode & 0o777 == 0o644
