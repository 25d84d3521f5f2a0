"""The payments app's API under /api/v1/: each area adds its paths here."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
