"""Forgetting stored outputs: who may, and everything computed from them."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction

from config.exceptions import CatenaAppError
from runner.models import Artifact, Run

#: A refused forget names at most this many of the runs in the way.
FORGET_NAMED_RUNS = 5


def artifact_forget(*, artifact: Artifact, user: Any) -> list[str]:
    """Delete a stored output and every output computed from it; return their keys.

    Outputs are shared by every run with the same key, whoever started it:
    only staff, or a user who may change every run holding one of them (who
    started it, owns its chain or is in the chain's team), may delete them;
    anyone else is refused with the runs that stand in the way.
    """
    doomed = _descendants(artifact)
    _forget_check(doomed, user)
    keys = [a.key for a in doomed]
    with transaction.atomic():
        Artifact.objects.filter(id__in=[a.id for a in doomed]).delete()
    for a in doomed:
        default_storage.delete(a.path)
    return keys


def _forget_check(doomed: list[Artifact], user: Any) -> None:
    if user.is_staff:
        return
    ids = [a.id for a in doomed]
    others = (
        Run.objects.filter(nodes__artifact_id__in=ids)
        .exclude(started_by_id=user.id)
        .exclude(chain_version__chain__owner_id=user.id)
        .exclude(chain_version__chain__team__in=user.groups.values("id"))
        .select_related("started_by")
        .distinct()
        .order_by("id")
    )
    blocking = list(others[: FORGET_NAMED_RUNS + 1])
    if not blocking:
        return
    shown = blocking[:FORGET_NAMED_RUNS]
    named = ", ".join(f"run {r.id} by {r.started_by}" for r in shown)
    more = " and more" if len(blocking) > FORGET_NAMED_RUNS else ""
    raise CatenaAppError(
        f"This stored output is shared with runs you may not change ({named}{more}); "
        "only their owners or staff may forget it.",
        {"runs": [r.id for r in blocking], "reason": "shared"},
        status=403,
    )


def _descendants(artifact: Artifact) -> list[Artifact]:
    seen: dict[int, Artifact] = {artifact.id: artifact}
    frontier = [artifact.id]
    while frontier:
        children = Artifact.objects.filter(parents__in=frontier).exclude(
            id__in=list(seen)
        )
        frontier = []
        for child in children.distinct():
            seen[child.id] = child
            frontier.append(child.id)
    return [a for a in seen.values() if not a.datasets.exists()]
