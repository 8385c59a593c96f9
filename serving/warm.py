"""Warm serving processes: every live chain prepared (its models loaded) before
the first request, and a chain prepared again in this process when it goes live.

Preparing ends with one prediction on a made-up row, so the code paths of the
steps (pandas, scikit-learn) have run once too; its errors are ignored (a
made-up row may be refused by a model that a real row satisfies).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from typing import Any

from celery import current_app
from django.db import transaction
from django.urls import get_resolver
from kombu.exceptions import OperationalError

from builder.models import Chain
from catena import serving, steps
from catena.errors import CatenaError
from catena.rows import placeholder_row
from config.exceptions import CatenaAppError
from serving.plans import Plan, plan_fetch

log = logging.getLogger("catena.serving")


#: Where a web process's first callers go: submitting runs (a live chain's
#: predict path is added when there is one).
WARM_PATHS = ("/api/runs/",)


def web_process_warm() -> list[Plan]:
    """What a web process does before its first request (gunicorn's
    ``post_worker_init``): every live chain prepared, then the request path
    of submitting a run (and of predicting) taken once, every URL name made
    reversible, every step kind imported and the broker connected, so that
    its first caller waits no longer than its hundredth; says how long it took.
    """
    start = time.perf_counter()
    plans = warm_all()
    paths = [*WARM_PATHS, *(f"/api/chains/{p.chain}/predict" for p in plans[:1])]
    for path in paths:
        request_path_warm(path=path)
    get_resolver().reverse_dict  # noqa: B018 - builds every URL name's reversal
    for kind in steps.STEP_KINDS:
        steps.get(kind)
    connected = broker_connect()
    log.info(
        "web process %d warm in %.0f ms: %d live chains, %d request paths, "
        "%d step kinds, broker %s",
        os.getpid(),
        (time.perf_counter() - start) * 1000,
        len(plans),
        len(paths),
        len(steps.STEP_KINDS),
        "connected" if connected else "unreachable (connects on first use)",
    )
    return plans


def warm_all() -> list[Plan]:
    """Prepare every live chain in this process; say which."""
    names = Chain.objects.filter(live_version__isnull=False).values_list(
        "name", flat=True
    )
    plans = [plan for name in names if (plan := warm_chain(chain_name=name))]
    log.info("serving: %d live chains warm in this process", len(plans))
    return plans


def broker_connect() -> bool:
    """Open this process's connection to the task broker (a submit sends on
    it); False when the broker is unreachable now (the first send retries)."""
    current_app.backend  # noqa: B018 - every send builds a result on it
    try:
        with current_app.producer_or_acquire() as producer:
            # One attempt: a broker that is down must not hold up the start.
            producer.connection.ensure_connection(max_retries=0)
    except (OperationalError, OSError):
        return False
    return True


def warm_chain(*, chain_name: str) -> Plan | None:
    """Prepare the chain's live version and run it once; None when it cannot run."""
    try:
        plan, _ = plan_fetch(chain_name=chain_name)
    except CatenaAppError as exc:
        log.warning("serving: chain %s is not warm: %s", chain_name, exc.message)
        return None
    with contextlib.suppress(CatenaError):
        serving.predict(plan.prepared, placeholder_row(plan.prepared.columns))
    log.info(
        "serving: warm %s v%d (%d models)",
        chain_name,
        plan.number,
        len(plan.prepared.models),
    )
    return plan


def chain_saved(sender: Any, instance: Chain, **kwargs: Any) -> None:
    """``post_save`` of a chain: once committed, warm its new live version here."""
    fields = kwargs.get("update_fields")
    if instance.live_version_id is None or (fields and "live_version" not in fields):
        return
    name = instance.name
    transaction.on_commit(lambda: _warm_quietly(name))


def _warm_quietly(name: str) -> None:
    # Marking a chain live must not fail because warming it here did.
    try:
        warm_chain(chain_name=name)
    except Exception:
        log.exception("serving: warming chain %s failed", name)


def request_path_warm(*, path: str) -> int:
    """Send one POST to ``path`` through the whole WSGI stack (middleware, URL
    resolving, the view's module, DRF, the error renderer) so the first caller
    does not pay for first use.

    It carries no credentials, so it is answered 401 and changes nothing.
    """
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    hosts = [h for h in settings.ALLOWED_HOSTS if h not in ("*", "")]
    host = hosts[0].lstrip(".") if hosts else "localhost"
    request = RequestFactory().post(
        path,
        data=b'{"rows": [{}]}',
        content_type="application/json",
        HTTP_HOST=host,
        REMOTE_ADDR="127.0.0.1",
    )
    statuses: list[str] = []

    def start_response(status: str, headers: Any, *exc_info: Any) -> Any:
        statuses.append(status)
        return lambda data: None

    b"".join(WSGIHandler()(request.environ, start_response))
    return int(statuses[0].split()[0]) if statuses else 0
