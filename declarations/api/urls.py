from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("declarations", views.DeclarationListCreateView.as_view(), name="api-declarations"),
    # Before the detail path: "validate" is not an MRN (MRNs are 18 characters).
    path("declarations/validate", views.DeclarationValidateView.as_view(), name="api-declaration-validate"),
    path("declarations/<str:mrn>", views.DeclarationDetailView.as_view(), name="api-declaration-detail"),
    path("declarations/<str:mrn>/xml", views.DeclarationXmlView.as_view(), name="api-declaration-xml"),
]
