"""Pages of the registry app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def model_list(request: HttpRequest) -> HttpResponse:
    return render(request, "registry/model_list.html")
