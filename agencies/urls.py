from __future__ import annotations

from django.urls import path

from . import licence_views, views

app_name = "agencies"
urlpatterns = [
    path("queue/", views.review_queue, name="queue"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("reviews/<int:pk>/claim/", views.review_claim, name="claim"),
    path("reviews/<int:pk>/release/", views.review_release, name="release"),
    path("reviews/<int:pk>/decide/", views.review_decide, name="decide"),
    path("requests/<int:pk>/answer/", views.information_answer, name="answer"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("licences/", licence_views.licence_list, name="licences"),
    path("licences/new/", licence_views.licence_register, name="licence_new"),
    path("licences/<int:pk>/", licence_views.licence_detail, name="licence"),
    path("licences/<int:pk>/revoke/", licence_views.licence_revoke, name="licence_revoke"),
]
