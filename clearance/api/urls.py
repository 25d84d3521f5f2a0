from __future__ import annotations

from django.urls import path

from ..oversight import api as oversight_api
from . import views

urlpatterns = [
    path("declarations/<str:mrn>/override", views.ReleaseOverrideView.as_view(), name="api-release-override"),
    path("declarations/<str:mrn>/release-note", views.ReleaseNoteView.as_view(), name="api-release-note"),
    path("requests", views.RequestListView.as_view(), name="api-requests"),
    path("requests/<int:pk>/decision", views.RequestDecisionView.as_view(), name="api-request-decision"),
    path("notifications", views.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/<int:pk>/read", views.NotificationReadView.as_view(), name="api-notification-read"),
    path("watchlist", oversight_api.WatchlistView.as_view(), name="api-watchlist"),
    path(
        "watchlist/<int:pk>/remove", oversight_api.WatchlistRemoveView.as_view(), name="api-watchlist-remove"
    ),
]
