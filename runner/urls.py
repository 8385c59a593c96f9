"""Pages and API paths of the runner app (see DEVELOPERS.md for the API)."""

from __future__ import annotations

from django.urls import path

from runner import apis, dataset_apis, experiment_apis, experiment_views, views

app_name = "runner"

urlpatterns = [
    path("runs/", views.run_list, name="run_list"),
    path("runs/start", views.run_start, name="run_start"),
    path("runs/compare", views.run_compare, name="run_compare"),
    path("runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path("runs/<int:run_id>/cancel", views.run_cancel, name="run_cancel"),
    path("runs/<int:run_id>/retry", views.run_retry, name="run_retry"),
    path(
        "runs/<int:run_id>/nodes/<path:node_id>/forget",
        views.node_forget,
        name="node_forget",
    ),
    path(
        "runs/<int:run_id>/continue",
        experiment_views.run_continue_page,
        name="run_continue",
    ),
    path("experiments/", experiment_views.experiment_list, name="experiment_list"),
    path("experiments/new", experiment_views.experiment_start, name="experiment_start"),
    path(
        "experiments/<int:experiment_id>/",
        experiment_views.experiment_detail,
        name="experiment_detail",
    ),
    path(
        "experiments/<int:experiment_id>/promote",
        experiment_views.experiment_promote,
        name="experiment_promote",
    ),
    path("datasets/", views.dataset_list, name="dataset_list"),
    path("datasets/<int:dataset_id>/", views.dataset_detail, name="dataset_detail"),
    path(
        "datasets/<int:dataset_id>/target/",
        views.dataset_target,
        name="dataset_target",
    ),
    path("api/datasets/", dataset_apis.DatasetListApi.as_view(), name="api_datasets"),
    path(
        "api/datasets/<int:dataset_id>/target",
        dataset_apis.DatasetTargetApi.as_view(),
        name="api_dataset_target",
    ),
    path("api/runs/", apis.RunListApi.as_view(), name="api_runs"),
    path("api/runs/<int:run_id>/", apis.RunDetailApi.as_view(), name="api_run"),
    path(
        "api/runs/<int:run_id>/status",
        apis.RunStatusApi.as_view(),
        name="api_run_status",
    ),
    path(
        "api/runs/<int:run_id>/cancel",
        apis.RunCancelApi.as_view(),
        name="api_run_cancel",
    ),
    path(
        "api/runs/<int:run_id>/retry", apis.RunRetryApi.as_view(), name="api_run_retry"
    ),
    path(
        "api/runs/<int:run_id>/continue",
        experiment_apis.RunContinueApi.as_view(),
        name="api_run_continue",
    ),
    path(
        "api/experiments/",
        experiment_apis.ExperimentListApi.as_view(),
        name="api_experiments",
    ),
    path(
        "api/experiments/<int:experiment_id>/",
        experiment_apis.ExperimentDetailApi.as_view(),
        name="api_experiment",
    ),
    path(
        "api/experiments/<int:experiment_id>/promote",
        experiment_apis.ExperimentPromoteApi.as_view(),
        name="api_experiment_promote",
    ),
    path(
        "api/runs/<int:run_id>/nodes/<path:node_id>/output",
        apis.NodeOutputApi.as_view(),
        name="api_node_output",
    ),
    path(
        "api/runs/<int:run_id>/nodes/<path:node_id>/forget",
        apis.NodeForgetApi.as_view(),
        name="api_node_forget",
    ),
]
