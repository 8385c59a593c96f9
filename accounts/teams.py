"""Teams: Django groups whose members share the objects the team owns.

Every group is a team. Members are ``user.groups``; admins (who add, remove and
promote members) are ``TeamAdmin`` rows, always of members.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.db.models import Count, QuerySet

from accounts.models import TeamAdmin
from config.exceptions import CatenaAppError

#: Team names are slugs (they appear in URLs and in ``?team=`` filters).
TEAM_NAME_MAX_LENGTH = 80


# Reads -------------------------------------------------------------------------
def team_member(*, team_id: int | None, user: Any) -> bool:
    """True when ``user`` belongs to the team ``team_id`` (None: no team)."""
    if team_id is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.groups.filter(id=team_id).exists())


def team_admin(*, team: Group, user: Any) -> bool:
    """Staff and the team's admins may manage its members."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff:
        return True
    return TeamAdmin.objects.filter(team=team, user=user).exists()


def team_list(*, user: Any) -> QuerySet[Group]:
    """The teams ``user`` belongs to, with their member counts."""
    return (
        Group.objects.filter(user=user)
        .annotate(member_count=Count("user", distinct=True))
        .order_by("name")
    )


def team_get(*, name: str) -> Group:
    """The team called ``name`` or a 404 ``CatenaAppError``."""
    team = Group.objects.filter(name=name.replace("\x00", "")).first()
    if team is None:
        raise CatenaAppError(f"No team named '{name}'.", {"team": name}, status=404)
    return team


def team_members(*, team: Group) -> list[dict[str, Any]]:
    """Members by username, each with whether they are an admin."""
    admins = set(TeamAdmin.objects.filter(team=team).values_list("user_id", flat=True))
    users = team.user_set.order_by("username")
    return [{"user": u, "admin": u.pk in admins} for u in users]


def team_for_object(*, name: str | None, user: Any) -> Group | None:
    """The team an object may be given to by ``user``: one they belong to.

    ``None`` or ``""`` means no team. Staff may give to any team.
    """
    if not name:
        return None
    team = team_get(name=name)
    if not (user.is_staff or team_member(team_id=team.pk, user=user)):
        raise CatenaAppError(
            f"You are not a member of team '{name}'; you can only give an object "
            "to a team you belong to.",
            {"team": name},
            status=403,
        )
    return team


# Writes ------------------------------------------------------------------------
@transaction.atomic
def team_create(*, name: str, user: Any) -> Group:
    """A new team with ``user`` as its first member and admin."""
    _name_check(name)
    if Group.objects.filter(name=name).exists():
        raise CatenaAppError(
            f"A team named '{name}' already exists.",
            {"fields": {"name": ["A team with this name already exists."]}},
            status=409,
        )
    team = Group.objects.create(name=name)
    user.groups.add(team)
    TeamAdmin.objects.create(team=team, user=user)
    return team


def _name_check(name: str) -> None:
    problem = ""
    if not name or len(name) > TEAM_NAME_MAX_LENGTH:
        problem = f"Team names are 1 to {TEAM_NAME_MAX_LENGTH} characters."
    else:
        try:
            validate_slug(name)
        except ValidationError:
            problem = "Team names use letters, digits, '-' and '_' only."
    if problem:
        raise CatenaAppError(problem, {"fields": {"name": [problem]}})


@transaction.atomic
def team_member_add(*, team: Group, username: str, by: Any, admin: bool = False) -> Any:
    """Add the user ``username`` to ``team`` (and make them an admin if asked)."""
    _admin_check(team, by)
    member = get_user_model().objects.filter(username=username).first()
    if member is None or not member.is_active:
        raise CatenaAppError(
            f"No user named '{username}'.",
            {"fields": {"username": [f"No user named '{username}'."]}},
        )
    member.groups.add(team)
    if admin:
        TeamAdmin.objects.get_or_create(team=team, user=member)
    return member


@transaction.atomic
def team_member_remove(*, team: Group, username: str, by: Any) -> None:
    """Take ``username`` out of ``team``; a member may also leave on their own."""
    if username != by.get_username():
        _admin_check(team, by)
    member = team.user_set.filter(username=username).first()
    if member is None:
        raise CatenaAppError(
            f"'{username}' is not a member of team '{team.name}'.",
            {"username": username},
            status=404,
        )
    admins = TeamAdmin.objects.filter(team=team)
    if admins.filter(user=member).exists() and admins.count() == 1:
        raise CatenaAppError(
            f"'{username}' is the last admin of team '{team.name}'; make another "
            "member an admin first.",
            {"username": username},
            status=409,
        )
    admins.filter(user=member).delete()
    member.groups.remove(team)


@transaction.atomic
def team_admin_set(*, team: Group, username: str, by: Any) -> None:
    """Make the member ``username`` an admin of ``team``."""
    _admin_check(team, by)
    member = team.user_set.filter(username=username).first()
    if member is None:
        raise CatenaAppError(
            f"'{username}' is not a member of team '{team.name}'.",
            {"username": username},
            status=404,
        )
    TeamAdmin.objects.get_or_create(team=team, user=member)


def _admin_check(team: Group, user: Any) -> None:
    if not team_admin(team=team, user=user):
        raise CatenaAppError(
            f"Only an admin of team '{team.name}' may change its members.",
            {"team": team.name},
            status=403,
        )
