"""Top-level routes; each app owns its pages and API paths in its urls.py."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import views

handler400 = "config.exceptions.bad_request"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.auth_urls")),
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/schema", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs",
        # DRF exempts its views from LoginRequiredMiddleware; the docs page is a page.
        login_required(
            SpectacularSwaggerView.as_view(
                url_name="api-schema", template_name="api_docs.html"
            )
        ),
        name="api-docs",
    ),
    path("", include("registry.urls")),
    path("", include("builder.urls")),
    path("", include("runner.urls")),
    path("", include("serving.urls")),
]
