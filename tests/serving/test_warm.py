"""gunicorn workers prepare every live chain before their first request."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import requests
from sklearn.linear_model import LinearRegression

from accounts.services import api_token_create
from tests.conftest import BASE_DIR, database_url_for_workers
from tests.serving.conftest import chain_make, model_doc, model_upload
from tests.startcommand import free_port

pytestmark = pytest.mark.slow


def wait_logged(log: Path, text: str, process: subprocess.Popen, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text():
            return
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not logged:\n{log.read_text()}")


def test_the_first_request_after_start_finds_the_chain_warm(
    transactional_db, owner, staff, tmp_path
):
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [1.0, 0.0, 2.0]})
    fitted = LinearRegression().fit(frame, [1.0, 2.0, 6.0])
    model_upload(name="lin", estimator=fitted, owner=owner, staff=staff)
    chain_make(name="lin-chain", document=model_doc("lin", 1), user=owner)
    token = api_token_create(user=owner).key
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_workers(),
        "CATENA_WEB_WORKERS": "1",
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
    with open(log, "w") as out:
        process = subprocess.Popen(
            [*command, "-b", f"127.0.0.1:{port}"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_logged(log, "1 live chains warm in this process", process)
        assert "serving: warm lin-chain v1 (1 models)" in log.read_text()
        response = requests.post(
            f"http://127.0.0.1:{port}/api/chains/lin-chain/predict",
            json={"rows": [{"x": 1.0, "y": 1.0}]},
            headers={"Authorization": f"Token {token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert response.headers["Server-Timing"] == 'plan;desc="warm"'
        assert response.json()["rows"][0]["prediction"] == pytest.approx(3.0)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def test_a_chain_going_live_is_prepared_in_this_process(transactional_db, owner):
    from builder import services as chain_services
    from serving.plans import plans
    from tests.serving.conftest import shop_doc

    chain = chain_make(name="shop", document=shop_doc(), user=owner)
    assert plans.get(("shop", 1)) is not None
    doc = shop_doc()
    doc["nodes"][2]["params"] = {}
    chain_services.chain_version_save(chain=chain, document=doc, user=owner)
    assert plans.get(("shop", 2)) is None  # saved, not live: nothing to warm
    chain_services.chain_live_set(chain=chain, number=2, user=owner)
    assert plans.get(("shop", 2)) is not None


def test_the_request_path_warm_up_is_refused_and_changes_nothing(
    transactional_db, shop
):
    from accounts.models import ApiToken
    from runner.models import Run
    from serving.warm import request_path_warm

    assert request_path_warm(path="/api/chains/shop/predict") == 401
    assert request_path_warm(path="/api/runs/") == 401
    assert ApiToken.objects.count() == 0
    assert Run.objects.count() == 0


#: A fresh web process: warmed as gunicorn warms it, then one submit through
#: the WSGI application; prints the answer's status and the modules it imported.
FIRST_SUBMIT = """
import json, sys
from config.wsgi import application
from django.test import RequestFactory
from serving.warm import web_process_warm

web_process_warm()
before = set(sys.modules)
body = {"chain": "shop", "rows": [
    {"temperature": 20.0, "price": 3.0, "shape": "a", "color": "b", "promo": 1}
]}
environ = RequestFactory().post(
    "/api/runs/", data=json.dumps(body), content_type="application/json",
    HTTP_HOST="localhost", REMOTE_ADDR="127.0.0.1",
    HTTP_AUTHORIZATION="Token " + sys.argv[1],
).environ
statuses = []
b"".join(application(environ, lambda status, headers, *e: statuses.append(status)))
ours = ("accounts", "builder", "catena", "config", "registry", "runner", "serving")
imported = sorted(m for m in set(sys.modules) - before if m.split(".")[0] in ours)
print(json.dumps({"status": statuses[0], "imported": imported}))
"""


def first_submit(token: str, broker: str, var: Path) -> tuple[dict, str]:
    """Run FIRST_SUBMIT in a fresh process on ``broker``; its answer and log."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_workers(),
        "CELERY_BROKER_URL": broker,
        "CATENA_VAR_DIR": str(var),
    }
    done = subprocess.run(
        [sys.executable, "-c", FIRST_SUBMIT, token],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def test_a_warmed_web_process_imports_none_of_ours_on_its_first_submit(
    transactional_db, owner, shop, tmp_path
):
    # Unwarmed, the first request loads every URL module and the views behind
    # them (185 modules, most of a second); warmed, it loads none of ours.
    token = api_token_create(user=owner).key
    # Its message goes to a queue of its own, which no worker reads.
    answer, log = first_submit(token, "filesystem://", tmp_path)
    assert answer["status"] == "201 Created"
    assert answer["imported"] == []
    assert "web process" in log
    assert "broker connected" in log


def test_a_web_process_starting_while_the_broker_is_down_says_so_and_starts(
    transactional_db, owner, shop, tmp_path
):
    token = api_token_create(user=owner).key
    # Nothing listens on port 1.
    answer, log = first_submit(token, "redis://127.0.0.1:1/0", tmp_path)
    assert "broker unreachable (connects on first use)" in log
    # The submission is kept and answered: queued until the broker is back.
    assert answer["status"] == "202 Accepted"
