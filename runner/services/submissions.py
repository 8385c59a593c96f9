"""Submitting a run through the API: idempotency keys and an unreachable broker."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError

from config.exceptions import CatenaAppError
from runner import sending
from runner.models import Run
from runner.services.runs import run_start

#: Longest Idempotency-Key header kept.
IDEMPOTENCY_KEY_MAX = 255


@dataclass(frozen=True)
class Submission:
    """A submitted run: ``created`` False when a retry got its earlier run back;
    ``unsent`` True when the broker was unreachable (the sweeper sends later)."""

    run: Run
    created: bool
    unsent: bool = False


def request_hash(body: dict[str, Any]) -> str:
    """sha256 of a submission's canonical JSON: what an idempotency key answers.

    A field given as null is the same request as the field left out.
    """
    given = {name: value for name, value in body.items() if value is not None}
    text = json.dumps(given, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def idempotency_key_check(key: str) -> str:
    """A key of 1 to 255 visible ASCII characters (and spaces), else a 400."""
    if not 0 < len(key) <= IDEMPOTENCY_KEY_MAX or not all(" " <= c <= "~" for c in key):
        raise CatenaAppError(
            f"The Idempotency-Key header must be 1 to {IDEMPOTENCY_KEY_MAX} "
            "printable ASCII characters.",
            {"header": "Idempotency-Key", "max": IDEMPOTENCY_KEY_MAX, "got": len(key)},
        )
    return key


def run_submitted(*, user: Any, idempotency_key: str, request_hash: str) -> Run | None:
    """The run this user submitted under this key, if any; 422 for another body."""
    if not idempotency_key:
        return None
    run = Run.objects.filter(started_by=user, idempotency_key=idempotency_key).first()
    if run is not None and run.request_hash != request_hash:
        raise CatenaAppError(
            f"The Idempotency-Key was used for another request (run {run.id}); "
            "use a new key for a new run.",
            {"header": "Idempotency-Key", "run": run.id},
            status=422,
        )
    return run


def run_submit(
    *, user: Any, idempotency_key: str = "", request_hash: str = "", **start: Any
) -> Submission:
    """``run_start`` once per user and idempotency key.

    A retry with the same key and body gets the first run back; a concurrent
    twin loses on the database's unique constraint and gets the winner's run.
    """
    keyed = {"idempotency_key": idempotency_key, "request_hash": request_hash}
    earlier = run_submitted(user=user, **keyed)
    if earlier is not None:
        return Submission(run=earlier, created=False)
    unsent = sending.unsent_count()
    try:
        run = run_start(
            user=user,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            **start,
        )
    except IntegrityError:
        earlier = run_submitted(user=user, **keyed)
        if earlier is None:
            raise
        return Submission(run=earlier, created=False)
    return Submission(run=run, created=True, unsent=sending.unsent_count() > unsent)
