from __future__ import annotations

from django.urls import path  # noqa: F401 (the pages come with the issue that builds them)

app_name = "support"
urlpatterns: list = []
