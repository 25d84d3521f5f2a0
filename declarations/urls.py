from __future__ import annotations

from django.urls import path

from . import views

app_name = "declarations"
urlpatterns = [
    path("", views.declaration_list, name="list"),
    path("new/", views.declaration_new, name="new"),
    path("upload/", views.declaration_upload, name="upload"),
    path("drafts/<int:pk>/", views.declaration_draft, name="draft"),
    path("code-lists/<slug:name>/", views.code_list, name="code_list"),
    path("<str:mrn>/", views.declaration_detail, name="detail"),
]
