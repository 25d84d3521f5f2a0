"""The payments app's API under /api/v1/: each area adds its paths here."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import ledger, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("accounts/<int:id>/ledger", ledger.AccountLedgerView.as_view(), name="api-account-ledger"),
    path(
        "accounts/<int:id>/statements",
        ledger.AccountStatementsView.as_view(),
        name="api-account-statements",
    ),
    path(
        "declarations/<str:mrn>/payments",
        views.DeclarationPaymentsView.as_view(),
        name="api-declaration-payments",
    ),
    path("payments/<int:pk>", views.PaymentDetailView.as_view(), name="api-payment-detail"),
]
