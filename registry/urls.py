from __future__ import annotations

from django.urls import path

from registry import apis, views

app_name = "registry"

urlpatterns = [
    path("models/", views.model_list, name="model_list"),
    path("models/new", views.model_upload, name="model_upload"),
    path("models/<slug:name>/", views.model_detail, name="model_detail"),
    path("models/<slug:name>/upload", views.version_upload, name="version_upload"),
    path("models/<slug:name>/aliases", views.alias_set, name="alias_set"),
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
        "api/models/<slug:name>/aliases/",
        apis.AliasSetApi.as_view(),
        name="api_alias_set",
    ),
]
