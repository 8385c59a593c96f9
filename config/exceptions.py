"""Application errors and the one place that turns them into API responses.

Services raise ``django.core.exceptions.ValidationError`` or ``CatenaAppError``;
every API answers them with a 4xx JSON body ``{"message": ..., "extra": {...}}``.
Graph problems carry ``extra={"problems": [...]}`` with node and edge ids.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import defaults
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from config.uploads import UploadTooBig


class CatenaAppError(Exception):
    """A business-rule failure with a message for the user and data for the UI."""

    status_code = 400

    def __init__(
        self, message: str, extra: dict[str, Any] | None = None, status: int = 400
    ) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        self.status_code = status


def _validation_error_body(exc: DjangoValidationError) -> dict[str, Any]:
    if hasattr(exc, "error_dict"):
        fields = {key: [str(m) for m in errs] for key, errs in exc.message_dict.items()}
        first = next(iter(fields.values()), ["Invalid input."])[0]
        return {"message": first, "extra": {"fields": fields}}
    messages = exc.messages
    return {"message": "; ".join(messages), "extra": {}}


def _drf_error_body(exc: drf_exceptions.APIException) -> dict[str, Any]:
    detail = exc.detail
    if isinstance(detail, dict):
        fields = {k: _flatten(v) for k, v in detail.items()}
        name, msgs = next(iter(fields.items()), ("", ["Invalid input."]))
        prefix = "" if name in ("non_field_errors", "detail") else f"{name}: "
        return {"message": prefix + msgs[0], "extra": {"fields": fields}}
    if isinstance(detail, list):
        return {"message": "; ".join(_flatten(detail)), "extra": {}}
    return {"message": str(detail), "extra": {}}


def _flatten(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [f"{k}: {m}" for k, v in value.items() for m in _flatten(v)]
    if isinstance(value, list):
        return [m for item in value for m in _flatten(item)]
    return [str(value)]


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map every expected failure to a 4xx ``{"message", "extra"}`` response."""
    if isinstance(exc, CatenaAppError):
        return Response({"message": exc.message, "extra": exc.extra}, exc.status_code)
    if isinstance(exc, DjangoValidationError):
        return Response(_validation_error_body(exc), status=400)
    if isinstance(exc, UploadTooBig):
        return Response({"message": exc.message, "extra": exc.extra}, status=413)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"message": f"Request body too large: {exc}", "extra": {"limit": "body"}},
            status=413,
        )
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, drf_exceptions.APIException):
        response.data = _drf_error_body(exc)
    return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Pages' 400; an oversize upload says why, with a 413."""
    if isinstance(exception, UploadTooBig):
        context = {"title": "Upload too large", "message": exception.message}
        return render(request, "400.html", context, status=413)
    return defaults.bad_request(request, exception)
