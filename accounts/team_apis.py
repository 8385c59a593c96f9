"""The teams API: list and read teams; create one, add and remove members."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import teams
from config import fields as strict
from config.pagination import Pagination
from config.parsers import CatenaJSONParser


class MemberSerializer(serializers.Serializer[Any]):
    username = serializers.CharField()
    admin = serializers.BooleanField()


class TeamOutputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    members = MemberSerializer(many=True)
    is_admin = serializers.BooleanField(help_text="whether the caller may manage it")


def _team_data(request: Request, team: Group) -> dict[str, Any]:
    members = [
        {"username": m["user"].get_username(), "admin": m["admin"]}
        for m in teams.team_members(team=team)
    ]
    data = {
        "name": team.name,
        "members": members,
        "is_admin": teams.team_admin(team=team, user=request.user),
    }
    return dict(TeamOutputSerializer(data).data)


class TeamListApi(APIView):
    """GET the caller's teams; POST creates a team with the caller as its admin."""

    parser_classes = [CatenaJSONParser]

    @extend_schema_serializer(component_name="TeamListInput")
    class InputSerializer(serializers.Serializer[Any]):
        name = strict.SlugField(max_length=teams.TEAM_NAME_MAX_LENGTH)

    @extend_schema(responses={200: TeamOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        found = paginator.paginate_queryset(
            teams.team_list(user=request.user), request, view=self
        )
        data = [_team_data(request, team) for team in found or []]
        return paginator.get_paginated_response(data)

    @extend_schema(request=InputSerializer, responses={201: TeamOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = teams.team_create(user=request.user, **serializer.validated_data)
        return Response(_team_data(request, team), status=status.HTTP_201_CREATED)


class TeamDetailApi(APIView):
    @extend_schema(responses={200: TeamOutputSerializer})
    def get(self, request: Request, name: str) -> Response:
        return Response(_team_data(request, teams.team_get(name=name)))


class TeamMemberAddApi(APIView):
    """Team admins: add a member by username, optionally as an admin."""

    parser_classes = [CatenaJSONParser]

    @extend_schema_serializer(component_name="TeamMemberAddInput")
    class InputSerializer(serializers.Serializer[Any]):
        username = strict.CharField(max_length=150)
        admin = strict.BooleanField(required=False, default=False)

    @extend_schema(request=InputSerializer, responses={200: TeamOutputSerializer})
    def post(self, request: Request, name: str) -> Response:
        team = teams.team_get(name=name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        teams.team_member_add(team=team, by=request.user, **serializer.validated_data)
        return Response(_team_data(request, team))


class TeamMemberRemoveApi(APIView):
    """Team admins remove a member; any member may remove themself."""

    @extend_schema(request=None, responses={200: TeamOutputSerializer})
    def delete(self, request: Request, name: str, username: str) -> Response:
        team = teams.team_get(name=name)
        teams.team_member_remove(team=team, username=username, by=request.user)
        return Response(_team_data(request, team))
