"""Account pages: log in, and a user's own API tokens."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import ApiTokenCreateForm
from accounts.models import ApiToken


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind ``login_required``: ``user`` is a real user."""

    user: User


class LoginView(auth_views.LoginView):
    """Django's login page, offering a reset link only when mail can send one."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["password_reset"] = settings.CATENA_PASSWORD_RESET
        return context


def mail_required(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """404 unless mail is configured: a reset link nobody receives is a dead end."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not settings.CATENA_PASSWORD_RESET:
            raise Http404("Password reset is off: no mail server is configured.")
        return view(request, *args, **kwargs)

    return wrapped


@login_required
def api_tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ApiTokenCreateForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        issued = services.api_token_create(
            user=request.user,
            name=form.cleaned_data["name"],
        )
        form = ApiTokenCreateForm()
    tokens = ApiToken.objects.filter(user=request.user)
    response = render(
        request,
        "accounts/tokens.html",
        {"form": form, "issued": issued, "tokens": tokens},
    )
    # The new key is in this page alone: no cache may keep a copy.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    if services.api_token_revoke(user=request.user, token_id=token_id):
        messages.success(request, "Token revoked: it no longer opens the API.")
    else:
        messages.error(request, "No such token.")
    return redirect("accounts:api_tokens")
