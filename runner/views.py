"""Pages of the runner app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def run_list(request: HttpRequest) -> HttpResponse:
    return render(request, "runner/run_list.html")
