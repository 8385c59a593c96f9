"""The web app as bench/serve.py serves it: Catena plus a bare DRF view.

``DJANGO_SETTINGS_MODULE=bench.serve_app`` is config.settings with one more
path, ``POST /bench/bare``: the demo sales models loaded once, called by hand on
the posted rows, with DRF's parsing, token authentication and rendering but no
chain machinery (no plans, checks, executor or staleness check).
"""

from __future__ import annotations

from typing import Any

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.serve_app"


def _estimators() -> dict[str, Any]:
    from catena.reference import MODELS
    from registry.resolver import RegistryResolver

    resolver = RegistryResolver()
    return {
        node: resolver.resolve(name, "@production").load().estimator  # type: ignore[attr-defined]
        for node, name in MODELS.items()
    }


def _view() -> Any:
    import pandas as pd
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from catena.reference import direct

    estimators: dict[str, Any] = {}

    class BareApi(APIView):
        def post(self, request: Request) -> Response:
            if not estimators:
                estimators.update(_estimators())
            frame = pd.DataFrame.from_records(request.data["rows"])
            sales = direct(estimators, frame).tolist()
            return Response({"rows": [{"prediction": v} for v in sales]})

    return BareApi.as_view()


def _urls() -> list[Any]:
    from django.urls import path

    from config import urls

    return [path("bench/bare", _view()), *urls.urlpatterns]


handler400 = "config.exceptions.bad_request"


def __getattr__(name: str) -> Any:
    # The URLconf is this module too; its patterns are built on first use, after
    # Django is set up (settings modules load before apps are ready).
    if name == "urlpatterns":
        return _urls()
    raise AttributeError(name)
