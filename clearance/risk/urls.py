"""The supervisors' risk pages, included by ``clearance.urls`` at ``risk/``."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("rules/", views.rule_list, name="risk_rules"),
    path("rules/new/", views.rule_new, name="risk_rule_new"),
    path("rules/<int:pk>/", views.rule_edit, name="risk_rule"),
    path("rules/<int:pk>/deactivate/", views.rule_deactivate, name="risk_rule_deactivate"),
    path("dry-run/", views.rule_dry_run, name="risk_dry_run"),
    path("settings/", views.settings_edit, name="risk_settings"),
]
