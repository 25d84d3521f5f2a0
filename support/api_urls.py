from __future__ import annotations

from django.urls import path

from . import api

urlpatterns = [
    path("service-requests", api.ServiceRequestListView.as_view(), name="api-service-requests"),
    path(
        "service-requests/<str:reference>",
        api.ServiceRequestDetailView.as_view(),
        name="api-service-request",
    ),
]
