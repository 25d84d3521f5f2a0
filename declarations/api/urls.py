from __future__ import annotations

from django.urls import path

from . import amendments, responses, views

urlpatterns = [
    path("declarations", views.DeclarationListCreateView.as_view(), name="api-declarations"),
    # Before the detail path: "validate" is not an MRN (MRNs are 18 characters).
    path("declarations/validate", views.DeclarationValidateView.as_view(), name="api-declaration-validate"),
    path("declarations/<str:mrn>", views.DeclarationDetailView.as_view(), name="api-declaration-detail"),
    path("declarations/<str:mrn>/xml", views.DeclarationXmlView.as_view(), name="api-declaration-xml"),
    path(
        "declarations/<str:mrn>/responses",
        responses.DeclarationResponsesView.as_view(),
        name="api-declaration-responses",
    ),
    path("notifications/dms", responses.DmsResponseListView.as_view(), name="api-dms-responses"),
    path("notifications/dms/<int:pk>", responses.DmsResponseView.as_view(), name="api-dms-response"),
    path(
        "declarations/<str:mrn>/amendments",
        amendments.DeclarationAmendmentView.as_view(),
        name="api-declaration-amendments",
    ),
    path(
        "declarations/<str:mrn>/cancellation",
        amendments.DeclarationCancellationView.as_view(),
        name="api-declaration-cancellation",
    ),
    path(
        "declarations/<str:mrn>/versions",
        amendments.DeclarationVersionsView.as_view(),
        name="api-declaration-versions",
    ),
    path(
        "declarations/<str:mrn>/versions/<int:number>",
        amendments.DeclarationVersionView.as_view(),
        name="api-declaration-version",
    ),
    path(
        "declarations/<str:mrn>/diff", amendments.DeclarationDiffView.as_view(), name="api-declaration-diff"
    ),
]
