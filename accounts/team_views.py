"""Teams pages: your teams, a new team, a team's members (admins manage them)."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import teams
from accounts.views import AuthenticatedHttpRequest
from config.exceptions import CatenaAppError


class TeamCreateForm(forms.Form):
    name = forms.SlugField(
        max_length=teams.TEAM_NAME_MAX_LENGTH,
        help_text="Letters, digits, '-' and '_', e.g. pricing.",
    )


class MemberAddForm(forms.Form):
    username = forms.CharField(max_length=150)
    admin = forms.BooleanField(required=False, label="Make an admin")


@login_required
def team_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TeamCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = teams.team_create(name=form.cleaned_data["name"], user=request.user)
        except CatenaAppError as exc:
            form.add_error("name", exc.message)
        else:
            messages.success(request, f"Team {team.name} created; you are its admin.")
            return redirect("accounts:team_detail", name=team.name)
    context = {"form": form, "teams": teams.team_list(user=request.user)}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "accounts/team_list.html", context, status=status)


@login_required
def team_detail(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    team = _team_or_404(name)
    context = {
        "team": team,
        "members": teams.team_members(team=team),
        "is_admin": teams.team_admin(team=team, user=request.user),
        "form": MemberAddForm(),
    }
    return render(request, "accounts/team_detail.html", context)


@login_required
@require_POST
def team_member_add(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    team = _team_or_404(name)
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the username of the member to add.")
        return redirect("accounts:team_detail", name=team.name)
    _do(
        request,
        lambda: teams.team_member_add(team=team, by=request.user, **form.cleaned_data),
        f"{form.cleaned_data['username']} added to {team.name}.",
    )
    return redirect("accounts:team_detail", name=team.name)


@login_required
@require_POST
def team_member_remove(
    request: AuthenticatedHttpRequest, name: str, username: str
) -> HttpResponse:
    team = _team_or_404(name)
    _do(
        request,
        lambda: teams.team_member_remove(team=team, username=username, by=request.user),
        f"{username} removed from {team.name}.",
    )
    if username == request.user.get_username():
        return redirect("accounts:team_list")
    return redirect("accounts:team_detail", name=team.name)


@login_required
@require_POST
def team_admin_set(
    request: AuthenticatedHttpRequest, name: str, username: str
) -> HttpResponse:
    team = _team_or_404(name)
    _do(
        request,
        lambda: teams.team_admin_set(team=team, username=username, by=request.user),
        f"{username} is now an admin of {team.name}.",
    )
    return redirect("accounts:team_detail", name=team.name)


def _do(
    request: AuthenticatedHttpRequest, action: Callable[[], object], success: str
) -> None:
    try:
        action()
    except CatenaAppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)


def _team_or_404(name: str) -> Group:
    try:
        return teams.team_get(name=name)
    except CatenaAppError as exc:
        raise Http404(exc.message) from exc
