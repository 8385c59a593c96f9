"""A chain's serving settings (prediction log, variants): read, check, change.

Every change is recorded as a ``ServingChange`` (who, when, before and after).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from builder.models import Chain, ChainVersion
from builder.selectors import chain_can_edit
from config.exceptions import CatenaAppError
from serving.models import ChainServing, ServingChange
from serving.variants import Variants, variants_clean, variants_load


@dataclass(frozen=True)
class Setup:
    """What the predict path needs to know about a chain's serving settings."""

    chain_id: int | None = None
    log_enabled: bool = False
    log_rate: float = 1.0
    log_days: int = 7
    variants: Variants = field(default_factory=Variants)

    def log_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.log_enabled,
            "rate": self.log_rate,
            "days": self.log_days,
        }


def setup_get(*, chain_name: str) -> Setup:
    """The chain's settings in one query; the defaults when it has none."""
    found = (
        ChainServing.objects.filter(chain__name=chain_name)
        .values_list("chain_id", "log_enabled", "log_rate", "log_days", "variants")
        .first()
    )
    if found is None:
        return Setup()
    chain_id, enabled, rate, days, variants = found
    return Setup(chain_id, enabled, rate, days, variants_load(variants))


def serving_check(*, chain: Chain, user: Any) -> None:
    """A 403 unless ``user`` may see the log and change the settings."""
    if not chain_can_edit(chain=chain, user=user):
        raise CatenaAppError(
            f"Only the owner of chain '{chain.name}', a member of its team or "
            "staff may see its prediction log and change how it is served.",
            {"chain": chain.name},
            status=403,
        )


@transaction.atomic
def serving_set(
    *, chain: Chain, user: Any, log: Any = None, variants: Any = None
) -> Setup:
    """Change the log settings and/or the variants (None: unchanged); record it."""
    serving_check(chain=chain, user=user)
    row, _ = ChainServing.objects.select_for_update().get_or_create(chain=chain)
    before = _document(row)
    if log is not None:
        _log_apply(row, log)
    if variants is not None:
        numbers = set(
            ChainVersion.objects.filter(chain=chain).values_list("number", flat=True)
        )
        live = chain.live_version.number if chain.live_version else None
        checked = variants_clean(data=variants, versions=numbers, live=live)
        row.variants = checked.as_dict() if checked != Variants() else {}
    row.full_clean()
    row.save()
    after = _document(row)
    if after != before:
        ServingChange.objects.create(
            chain=chain,
            user=user,
            summary=change_summary(before, after),
            before=before,
            after=after,
        )
    return setup_get(chain_name=chain.name)


def _log_apply(row: ChainServing, log: Any) -> None:
    if not isinstance(log, dict) or set(log) - {"enabled", "rate", "days"}:
        _refuse("log", 'An object with "enabled", "rate" and "days".')
    enabled = log.get("enabled", row.log_enabled)
    rate = log.get("rate", row.log_rate)
    days = log.get("days", row.log_days)
    if not isinstance(enabled, bool):
        _refuse("enabled", "true or false.")
    if not _number(rate) or not 0 < rate <= 1:
        _refuse("rate", "The share of requests logged: more than 0, at most 1.")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
        _refuse("days", "Days entries are kept: a whole number from 1 to 3650.")
    row.log_enabled, row.log_rate, row.log_days = enabled, float(rate), days


def _number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _refuse(name: str, message: str) -> None:
    raise CatenaAppError(f"{name}: {message}", {"fields": {name: [message]}})


def _document(row: ChainServing) -> dict[str, Any]:
    return {
        "log": {"enabled": row.log_enabled, "rate": row.log_rate, "days": row.log_days},
        "variants": variants_load(row.variants).as_dict(),
    }


def change_summary(before: dict[str, Any], after: dict[str, Any]) -> str:
    """One line saying what changed, e.g. ``log on at 10%, kept 7 days``."""
    parts = []
    if before["log"] != after["log"]:
        log = after["log"]
        parts.append(
            f"log on at {log['rate']:.0%}, kept {log['days']} days"
            if log["enabled"]
            else "log off"
        )
    if before["variants"] != after["variants"]:
        parts.append(variants_summary(after["variants"]))
    return "; ".join(parts)[:500]


def variants_summary(variants: dict[str, Any]) -> str:
    """``split v1 90% / v2 10% by customer; shadows v3`` or ``live version only``."""
    split = " / ".join(f"v{s['version']} {s['weight']}%" for s in variants["split"])
    text = f"split {split}" if split else "live version answers"
    if split and variants["key"]:
        text += f" by {variants['key']}"
    if variants["shadows"]:
        text += "; shadows " + ", ".join(f"v{v}" for v in variants["shadows"])
    return text


def serving_changes(*, chain: Chain, limit: int = 20) -> list[ServingChange]:
    return list(
        ServingChange.objects.filter(chain=chain).select_related("user")[:limit]
    )
