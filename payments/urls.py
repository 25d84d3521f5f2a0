"""The payments app's pages: each area adds its paths here."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = []
