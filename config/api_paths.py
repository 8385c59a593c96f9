"""One spelling rule for API paths, and a JSON answer for paths that do not exist.

The canonical spelling: a collection or an object ends with ``/``
(``/api/runs/``, ``/api/runs/7/``); an action or a document of an object does not
(``/api/runs/7/cancel``, ``/api/runs/7/status``). Every API path also answers in the
other spelling, *in place*: Django's ``APPEND_SLASH`` answers a POST without its
slash with a 301, and HTTP clients that follow it re-send a GET, so the create
silently turns into a list. An unknown ``/api/...`` path answers the API's error
shape instead of an HTML page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

API_PREFIX = "/api/"


def _parameters(path: str) -> int | None:
    """How many path parameters the route serving ``path`` captures; None: no route."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return len(match.args) + len(match.kwargs)


def api_path_for(path: str) -> str | None:
    """The path that serves ``path`` (itself or its other spelling), or None.

    When both spellings have a route, the literal one wins over one that
    captures a parameter: ``/api/chains/import/`` is the import action, not the
    chain named "import" (a name that ``chain_create`` refuses).
    """
    own = _parameters(path)
    if own == 0:
        return path
    other = path[:-1] if path.endswith("/") else path + "/"
    theirs = _parameters(other)
    if theirs is not None and (own is None or theirs < own):
        return other
    return path if own is not None else None


class ApiPathMiddleware:
    """Serve both spellings of an API path; answer unknown API paths in JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith(API_PREFIX) or path == API_PREFIX[:-1]:
            served = api_path_for(path)
            if served is None:
                return JsonResponse(
                    {
                        "message": f"There is no API path {path}.",
                        "extra": {"path": path, "docs": "/api/docs"},
                    },
                    status=404,
                )
            if served != path:
                request.path_info = served
                request.path = request.path[: -len(path)] + served
        return self.get_response(request)
