from __future__ import annotations

from django.urls import path

from . import views

app_name = "support"
urlpatterns = [
    path("", views.request_list, name="mine"),
    path("new/", views.request_new, name="new"),
    path("desk/", views.desk, name="desk"),
    path("desk/<str:reference>/", views.desk_detail, name="desk_detail"),
    path("desk/<str:reference>/answer/", views.desk_answer, name="desk_answer"),
    path("desk/<str:reference>/note/", views.desk_note, name="desk_note"),
    path("desk/<str:reference>/assign/", views.desk_assign, name="desk_assign"),
    path("desk/<str:reference>/close/", views.desk_close, name="desk_close"),
    path("rate/<str:mrn>/", views.rate, name="rate"),
    path("<str:reference>/", views.request_detail, name="detail"),
    path("<str:reference>/reply/", views.request_reply, name="reply"),
    path("<str:reference>/close/", views.request_close, name="close"),
]
