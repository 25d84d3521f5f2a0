"""Oversight's pages, included from ``clearance.urls`` under ``risk/``."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("watchlist/", views.watchlist, name="watchlist"),
    path("watchlist/add/", views.watchlist_add, name="watchlist_add"),
    path("watchlist/<int:pk>/remove/", views.watchlist_remove, name="watchlist_remove"),
    path("aeo/", views.aeo_register, name="aeo"),
    path("aeo/<int:account_id>/", views.aeo_edit, name="aeo_edit"),
    path("dashboard/", views.risk_dashboard, name="risk_dashboard"),
    path("dashboard/<str:table>.csv", views.risk_dashboard_csv, name="risk_dashboard_csv"),
]
