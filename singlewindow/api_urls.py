"""The API router: every app's endpoints under /api/v1/."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("declarations.api.urls")),
    path("", include("agencies.api.urls")),
    path("", include("clearance.api.urls")),
    path("", include("payments.api.urls")),
    path("", include("support.api_urls")),
]
