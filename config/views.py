"""Pages that belong to no single app."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from config.health import health_check


def home(request: HttpRequest) -> HttpResponse:
    return redirect("builder:chain_list")


@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, broker and worker: 200 when all answer, 503 naming what does not."""
    checks = health_check()
    # A worker behind a broker that is down is "unknown", not named as down.
    down = [name for name, state in checks.items() if state.startswith("down")]
    body = {"status": "down" if down else "ok", "down": down, "checks": checks}
    return JsonResponse(body, status=503 if down else 200)
