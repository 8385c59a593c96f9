"""The API's "who am I": the user behind a session or token."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer[Any]):
        username = serializers.CharField()
        email = serializers.CharField()
        is_staff = serializers.BooleanField()
        authenticated_by = serializers.ChoiceField(choices=["token", "session"])
        token = serializers.DictField(allow_null=True, help_text="prefix and name")

    @extend_schema(responses={200: OutputSerializer}, operation_id="me")
    def get(self, request: Request) -> Response:
        user = request.user
        token = request.auth if isinstance(request.auth, ApiToken) else None
        data = {
            "username": user.get_username(),
            "email": getattr(user, "email", ""),
            "is_staff": bool(getattr(user, "is_staff", False)),
            "authenticated_by": "token" if token else "session",
            "token": {"prefix": token.prefix, "name": token.name} if token else None,
        }
        return Response(self.OutputSerializer(data).data)
