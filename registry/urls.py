from __future__ import annotations

from django.urls import path

from registry import apis, endpoint_apis, endpoint_views, impact_apis, views

app_name = "registry"

urlpatterns = [
    path("models/", views.model_list, name="model_list"),
    path("models/new", views.model_upload, name="model_upload"),
    path("models/<slug:name>/", views.model_detail, name="model_detail"),
    path("models/<slug:name>/upload", views.version_upload, name="version_upload"),
    path("models/endpoint", endpoint_views.endpoint_add, name="endpoint_add"),
    path("models/<slug:name>/aliases", views.alias_set, name="alias_set"),
    path("models/<slug:name>/team", views.model_team, name="model_team"),
    path(
        "models/<slug:name>/versions/<int:number>/",
        views.version_detail,
        name="version_detail",
    ),
    path(
        "models/<slug:name>/versions/<int:number>/download",
        views.version_download,
        name="version_download",
    ),
    path(
        "models/<slug:name>/versions/<int:number>/trust",
        views.version_trust,
        name="version_trust",
    ),
    # API
    path("api/models/", apis.ModelListApi.as_view(), name="api_model_list"),
    path(
        "api/models/<slug:name>/",
        apis.ModelDetailApi.as_view(),
        name="api_model_detail",
    ),
    path(
        "api/models/<slug:name>/versions/",
        apis.ModelVersionListApi.as_view(),
        name="api_version_list",
    ),
    path(
        "api/models/<slug:name>/versions/<int:number>/",
        apis.ModelVersionDetailApi.as_view(),
        name="api_version_detail",
    ),
    path(
        "api/models/<slug:name>/versions/<int:number>/download",
        apis.ModelVersionDownloadApi.as_view(),
        name="api_version_download",
    ),
    path(
        "api/models/<slug:name>/versions/<int:number>/trust",
        apis.ModelVersionTrustApi.as_view(),
        name="api_version_trust",
    ),
    path(
        "api/models/<slug:name>/team",
        apis.ModelTeamSetApi.as_view(),
        name="api_model_team",
    ),
    path(
        "api/models/<slug:name>/versions/<int:number>/impact",
        impact_apis.ModelVersionImpactApi.as_view(),
        name="api_version_impact",
    ),
    path(
        "api/models/<slug:name>/endpoints/",
        endpoint_apis.EndpointCreateApi.as_view(),
        name="api_endpoint_create",
    ),
    path(
        "api/models/<slug:name>/aliases/",
        apis.AliasSetApi.as_view(),
        name="api_alias_set",
    ),
]
