"""A full process answers 503 with Retry-After at once; it never queues the caller."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from accounts.services import api_token_create
from serving.gate import gate
from tests.runner.estimators import SleepySum
from tests.serving.conftest import chain_make, model_doc, model_upload

pytestmark = pytest.mark.slow


def test_overload_answers_503_with_retry_after_not_a_hang(
    live_server, transactional_db, owner, staff, settings
):
    settings.CATENA_SERVE_CONCURRENCY = 1
    settings.CATENA_SERVE_RETRY_AFTER = 2
    sleepy = SleepySum(["x", "y"], seconds=3.0)
    model_upload(name="sleepy", estimator=sleepy, owner=owner, staff=staff)
    chain_make(name="slow", document=model_doc("sleepy", 1), user=owner)
    token = api_token_create(user=owner).key
    url = f"{live_server.url}/api/chains/slow/predict"
    headers = {"Authorization": f"Token {token}"}
    body = {"rows": [{"x": 1.0, "y": 2.0}]}
    first: dict[str, requests.Response] = {}

    def call() -> None:
        first["response"] = requests.post(url, json=body, headers=headers, timeout=60)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 30
    while gate.busy == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert gate.busy == 1
    # The model sleeps 3 s; a caller queued behind it would exceed this timeout.
    second = requests.post(url, json=body, headers=headers, timeout=2.5)
    assert second.status_code == 503
    assert second.headers["Retry-After"] == "2"
    assert second.json()["extra"] == {"limit": "concurrency", "max": 1}
    caller.join(30)
    assert first["response"].status_code == 200
    assert first["response"].json()["rows"] == [{"prediction": 3.0}]
    again = requests.post(url, json=body, headers=headers, timeout=30)
    assert again.status_code == 200
    assert gate.busy == 0
