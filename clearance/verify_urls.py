from __future__ import annotations

from django.urls import path

from . import verify_views

urlpatterns = [
    path("", verify_views.verify_form, name="verify_form"),
    path("<str:code>/", verify_views.verify, name="verify"),
]
