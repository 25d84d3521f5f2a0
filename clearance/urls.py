from __future__ import annotations

from django.urls import include, path

from . import requests_views, views

app_name = "clearance"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("declarations/<str:mrn>/", views.declaration_page, name="declaration"),
    path("declarations/<str:mrn>/override/", views.declaration_override, name="override"),
    path("declarations/<str:mrn>/release-note/", views.release_note, name="release_note"),
    path("declarations/<str:mrn>/release-note.pdf", views.release_note_pdf, name="release_note_pdf"),
    path("requests/", requests_views.request_list, name="requests"),
    path("requests/<int:pk>/decide/", requests_views.request_decide, name="request_decide"),
    path("", include("clearance.inspections.urls")),
    path("risk/", include("clearance.oversight.urls")),
    path("risk/", include("clearance.risk.urls")),
    path("audits/", include("clearance.audits.urls")),
]
