"""Included from ``clearance.urls`` (namespace ``clearance``) under audits/."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.audit_list, name="audits"),
    path("open/", views.audit_open, name="audit_open"),
    path("<int:pk>/", views.audit_case, name="audit"),
    path("<int:pk>/findings/", views.audit_finding, name="audit_finding"),
    path("<int:pk>/conclude/", views.audit_conclude, name="audit_conclude"),
    path("criteria/", views.criteria, name="audit_criteria"),
    path("criteria/new/", views.criterion_edit, name="audit_criterion_new"),
    path("criteria/<int:pk>/", views.criterion_edit, name="audit_criterion"),
]
