"""Pages of the builder app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def chain_list(request: HttpRequest) -> HttpResponse:
    return render(request, "builder/chain_list.html")


def chain_detail(request: HttpRequest, name: str) -> HttpResponse:
    return render(request, "builder/chain_list.html")
