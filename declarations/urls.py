from __future__ import annotations

from django.urls import path

from . import amend_views, views

app_name = "declarations"
urlpatterns = [
    path("", views.declaration_list, name="list"),
    path("new/", views.declaration_new, name="new"),
    path("upload/", views.declaration_upload, name="upload"),
    path("drafts/<int:pk>/", views.declaration_draft, name="draft"),
    path("drafts/<int:pk>/delete/", views.draft_delete, name="draft_delete"),
    path("drafts/<int:pk>/copy/", views.draft_copy, name="draft_copy"),
    path("code-lists/<slug:name>/", views.code_list, name="code_list"),
    path("<str:mrn>/", views.declaration_detail, name="detail"),
    path("<str:mrn>/copy/", views.declaration_copy, name="copy"),
    path("<str:mrn>/amend/", amend_views.declaration_amend, name="amend"),
    path("<str:mrn>/cancel/", amend_views.declaration_cancel, name="cancel"),
]
