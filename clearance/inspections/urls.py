"""Included from ``clearance.urls`` (namespace ``clearance``): controls/ and inspections/."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("controls/", views.documentary_queue, name="controls"),
    path("controls/<int:pk>/", views.documentary_task, name="control"),
    path("inspections/", views.my_inspections, name="inspections"),
    path("inspections/plan/", views.inspection_plan, name="inspection_plan"),
    path("inspections/plan/<str:mrn>/", views.inspection_schedule, name="inspection_schedule"),
    path("inspections/<int:pk>/", views.inspection_findings, name="inspection"),
    path("inspections/photos/<int:pk>/", views.photo, name="inspection_photo"),
]
