"""The configured broker carries a task to a real worker process and back."""

from __future__ import annotations

import time
import uuid

import pytest
from django.conf import settings

from runner.tasks import ping

pytestmark = pytest.mark.worker


def test_a_real_worker_runs_a_task_through_the_configured_broker(celery_worker_process):
    token = uuid.uuid4().hex
    target = settings.VAR_DIR / f"ping-{token}"
    ping.delay(str(target), token)
    deadline = time.monotonic() + 30
    # Until the token is read back: the task's write_text creates the file
    # before it writes the token (CI once read it empty).
    while time.monotonic() < deadline:
        if target.exists() and target.read_text() == token:
            break
        time.sleep(0.05)
    assert target.read_text() == token
    assert "runner.ping[" in celery_worker_process.output()
