"""Every remote-model test starts without pooled connections or loaded models."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh(remote_fresh) -> None:
    """See ``remote_fresh`` in tests/conftest.py."""
