"""The payments app's pages: each area adds its paths here."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import testpay_views, views

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    path("payments/providers/<str:code>/callback", views.provider_callback, name="provider-callback"),
    path("payments/testpay/<str:token>/", testpay_views.testpay_checkout, name="testpay-checkout"),
]
