from __future__ import annotations

from django.urls import path

from runner import views

app_name = "runner"

urlpatterns = [
    path("runs/", views.run_list, name="run_list"),
]
