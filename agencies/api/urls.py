from __future__ import annotations

from django.urls import path

from . import licences, views

urlpatterns = [
    path("reviews", views.ReviewListView.as_view(), name="api-reviews"),
    path("reviews/<int:pk>", views.ReviewDetailView.as_view(), name="api-review-detail"),
    path("reviews/<int:pk>/claim", views.ReviewClaimView.as_view(), name="api-review-claim"),
    path("reviews/<int:pk>/release", views.ReviewReleaseView.as_view(), name="api-review-release"),
    path("reviews/<int:pk>/decision", views.ReviewDecisionView.as_view(), name="api-review-decision"),
    path(
        "information-requests/<int:pk>/answer",
        views.InformationAnswerView.as_view(),
        name="api-information-answer",
    ),
    path("attachments/<int:pk>", views.AttachmentDownloadView.as_view(), name="api-attachment"),
    path("licences", licences.LicenceListView.as_view(), name="api-licences"),
    path("licences/<int:pk>", licences.LicenceDetailView.as_view(), name="api-licence-detail"),
    path("licences/<int:pk>/revoke", licences.LicenceRevokeView.as_view(), name="api-licence-revoke"),
]
