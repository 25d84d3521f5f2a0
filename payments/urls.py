"""The payments app's pages: each area adds its paths here."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import testpay_views, views, views_account, views_revenue, views_statements

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    path("payments/providers/<str:code>/callback", views.provider_callback, name="provider-callback"),
    path("payments/testpay/<str:token>/", testpay_views.testpay_checkout, name="testpay-checkout"),
    path("accounts/<int:account_id>/", views_account.account_page, name="account"),
    path("accounts/<int:account_id>/ledger.csv", views_account.account_ledger_csv, name="account_ledger_csv"),
    path("payments/revenue/", views_revenue.revenue_page, name="revenue"),
    path("payments/revenue/<slug:table>.csv", views_revenue.revenue_csv, name="revenue_csv"),
    path(
        "accounts/<int:account_id>/statements/<int:statement_id>/",
        views_statements.statement_page,
        name="statement",
    ),
    path("payments/declarations/<str:mrn>/pay/", views.pay, name="pay"),
    path("payments/<int:pk>/", views.payment_detail, name="detail"),
    path("payments/<int:pk>/cancel/", views.payment_cancel, name="cancel"),
    path("payments/cashier/", views.cashier_transfers, name="cashier"),
    path("payments/cashier/<int:pk>/", views.cashier_confirm, name="cashier-confirm"),
]
