"""Pages and API paths of the builder app (see DEVELOPERS.md for the API)."""

from __future__ import annotations

from django.urls import path

from builder import apis, views

app_name = "builder"

urlpatterns = [
    path("chains/", views.chain_list, name="chain_list"),
    path("chains/new", views.chain_new, name="chain_new"),
    path("chains/<slug:name>/", views.chain_detail, name="chain_detail"),
    path("chains/<slug:name>/edit", views.chain_editor, name="chain_editor"),
    path("chains/<slug:name>/live", views.chain_live, name="chain_live"),
    path("chains/<slug:name>/team", views.chain_team, name="chain_team"),
    path("api/chains/", apis.ChainListApi.as_view(), name="api_chain_list"),
    path("api/chains/import", apis.ChainImportApi.as_view(), name="api_chain_import"),
    path("api/chains/<slug:name>/", apis.ChainDetailApi.as_view(), name="api_chain"),
    path(
        "api/chains/<slug:name>/versions/",
        apis.ChainVersionListApi.as_view(),
        name="api_chain_versions",
    ),
    path(
        "api/chains/<slug:name>/versions/<int:number>/",
        apis.ChainVersionDetailApi.as_view(),
        name="api_chain_version",
    ),
    path(
        "api/chains/<slug:name>/versions/<int:number>/export",
        apis.ChainExportApi.as_view(),
        name="api_chain_export",
    ),
    path(
        "api/chains/<slug:name>/live", apis.ChainLiveSetApi.as_view(), name="api_live"
    ),
    path(
        "api/chains/<slug:name>/team", apis.ChainTeamSetApi.as_view(), name="api_team"
    ),
    path(
        "api/chains/<slug:name>/draft", apis.ChainDraftApi.as_view(), name="api_draft"
    ),
    path("api/validate", apis.ValidateApi.as_view(), name="api_validate"),
    path("api/palette", apis.PaletteApi.as_view(), name="api_palette"),
]
