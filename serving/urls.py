"""Paths of the serving app: predict, and the Open Inference Protocol (V2)."""

from __future__ import annotations

from django.urls import path

from serving import apis, setup_apis, v2_apis, views

app_name = "serving"

MODEL = "v2/models/<slug:name>"
VERSION = "v2/models/<slug:name>/versions/<int:number>"

urlpatterns = [
    path(
        "api/chains/<slug:name>/predict", apis.PredictApi.as_view(), name="api_predict"
    ),
    path(
        "api/chains/<slug:name>/versions/<int:number>/predict",
        apis.PredictVersionApi.as_view(),
        name="api_predict_version",
    ),
    path(
        "api/chains/<slug:name>/serving",
        setup_apis.ChainServingApi.as_view(),
        name="api_serving",
    ),
    path(
        "api/chains/<slug:name>/serving/stats",
        setup_apis.ChainVariantStatsApi.as_view(),
        name="api_serving_stats",
    ),
    path(
        "api/chains/<slug:name>/log/",
        setup_apis.PredictionLogListApi.as_view(),
        name="api_log",
    ),
    path(
        "api/chains/<slug:name>/log/export",
        setup_apis.PredictionLogExportApi.as_view(),
        name="api_log_export",
    ),
    path(
        "chains/<slug:name>/serving",
        views.serving_settings,
        name="serving_settings",
    ),
    path("chains/<slug:name>/log", views.prediction_log, name="prediction_log"),
    path("chains/<slug:name>/variants", views.chain_variants, name="chain_variants"),
    path("v2/health/live", v2_apis.V2LiveApi.as_view(), name="v2_live"),
    path("v2/health/ready", v2_apis.V2ReadyApi.as_view(), name="v2_ready"),
    path(MODEL, v2_apis.V2ModelApi.as_view(), name="v2_model"),
    path(VERSION, v2_apis.V2ModelApi.as_view(), name="v2_model_version"),
    path(f"{MODEL}/ready", v2_apis.V2ModelReadyApi.as_view(), name="v2_model_ready"),
    path(
        f"{VERSION}/ready",
        v2_apis.V2ModelReadyApi.as_view(),
        name="v2_model_version_ready",
    ),
    path(f"{MODEL}/infer", v2_apis.V2InferApi.as_view(), name="v2_infer"),
    path(f"{VERSION}/infer", v2_apis.V2InferApi.as_view(), name="v2_infer_version"),
]
