from __future__ import annotations

from django.urls import path

from builder import views

app_name = "builder"

urlpatterns = [
    path("chains/", views.chain_list, name="chain_list"),
    path("chains/<slug:name>/", views.chain_detail, name="chain_detail"),
]
