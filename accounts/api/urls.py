from __future__ import annotations

from django.urls import path

from .views import TokenDetailView, TokenListView, TokenView

urlpatterns = [
    path("auth/token", TokenView.as_view(), name="api-token"),
    path("tokens", TokenListView.as_view(), name="api-tokens"),
    path("tokens/<int:token_id>", TokenDetailView.as_view(), name="api-token-detail"),
]
