"""The chain page's serving forms, read into the API's shapes (text -> data)."""

from __future__ import annotations

import re
from typing import Any

from django.http import QueryDict

from config.exceptions import CatenaAppError

#: "1:90, 2:10" -- version:percent pairs.
PAIR = re.compile(r"^\s*v?(\d{1,9})\s*:\s*(\d{1,3})\s*%?\s*$")
NUMBER = re.compile(r"^\s*v?(\d{1,9})\s*$")
MAX_TEXT = 500


def log_form_read(data: QueryDict) -> dict[str, Any]:
    """``enabled`` (checkbox), ``rate`` (percent) and ``days`` as the log settings."""
    rate, days = data.get("rate", "100"), data.get("days", "7")
    try:
        percent, kept = float(rate), int(days)
    except ValueError:
        raise _refused("log", "Rate is a percent and days a whole number.") from None
    if not 0 < percent <= 100:
        raise _refused(
            "rate", "The share of requests logged: more than 0%, at most 100%."
        )
    return {"enabled": data.get("enabled") == "on", "rate": percent / 100, "days": kept}


def variants_form_read(data: QueryDict) -> dict[str, Any]:
    """``split`` ("1:90, 2:10"), ``shadows`` ("3, 4") and ``key`` as variants."""
    split_text, shadow_text = data.get("split", ""), data.get("shadows", "")
    if len(split_text) > MAX_TEXT or len(shadow_text) > MAX_TEXT:
        raise _refused("split", "Too long.")
    split = []
    for part in _parts(split_text):
        match = PAIR.match(part)
        if match is None:
            raise _refused("split", f"'{part}' is not version:percent, e.g. 1:90.")
        split.append({"version": int(match[1]), "weight": int(match[2])})
    shadows = []
    for part in _parts(shadow_text):
        match = NUMBER.match(part)
        if match is None:
            raise _refused("shadows", f"'{part}' is not a version number.")
        shadows.append(int(match[1]))
    return {"split": split, "shadows": shadows, "key": data.get("key", "").strip()}


def _parts(text: str) -> list[str]:
    return [p for p in text.split(",") if p.strip()]


def _refused(field: str, message: str) -> CatenaAppError:
    return CatenaAppError(f"{field}: {message}", {"fields": {field: [message]}})
