"""The API tokens pages, the API's "who am I", and the teams pages and API."""

from __future__ import annotations

from django.urls import path

from accounts import apis, team_apis, team_views, views

app_name = "accounts"
urlpatterns = [
    path("accounts/tokens/", views.api_tokens, name="api_tokens"),
    path(
        "accounts/tokens/<int:token_id>/revoke",
        views.api_token_revoke,
        name="api_token_revoke",
    ),
    path("api/me", apis.MeApi.as_view(), name="api_me"),
    path("teams/", team_views.team_list, name="team_list"),
    path("teams/<slug:name>/", team_views.team_detail, name="team_detail"),
    path("teams/<slug:name>/members", team_views.team_member_add, name="member_add"),
    path(
        "teams/<slug:name>/members/<str:username>/remove",
        team_views.team_member_remove,
        name="member_remove",
    ),
    path(
        "teams/<slug:name>/members/<str:username>/admin",
        team_views.team_admin_set,
        name="admin_set",
    ),
    path("api/teams/", team_apis.TeamListApi.as_view(), name="api_team_list"),
    path("api/teams/<slug:name>/", team_apis.TeamDetailApi.as_view(), name="api_team"),
    path(
        "api/teams/<slug:name>/members/",
        team_apis.TeamMemberAddApi.as_view(),
        name="api_member_add",
    ),
    path(
        "api/teams/<slug:name>/members/<str:username>/",
        team_apis.TeamMemberRemoveApi.as_view(),
        name="api_member_remove",
    ),
]
