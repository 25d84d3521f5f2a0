from __future__ import annotations

from django.urls import path

from . import scorecard_views, service_levels_views, statistics_views, views

app_name = "insights"
urlpatterns: list = [
    path("", views.overview, name="overview"),
    path("time-release/<slug:dimension>/", views.breakdown, name="breakdown"),
    path("open-data/", views.open_data, name="open_data"),
    path("open-data/release-times.json", views.open_data_json, name="open_data_json"),
    path("service-levels/", service_levels_views.service_levels_page, name="service_levels"),
    path(
        "service-levels/<slug:table>.csv", service_levels_views.service_levels_csv, name="service_levels_csv"
    ),
    path("scorecard/", scorecard_views.scorecard_page, name="scorecard"),
    path("scorecard/figures.csv", scorecard_views.scorecard_csv, name="scorecard_csv"),
    path("statistics/", statistics_views.statistics_page, name="statistics"),
    path("statistics/<slug:table>.csv", statistics_views.statistics_csv, name="statistics_csv"),
    path(
        "open-data/trade-statistics.json", statistics_views.statistics_open_data, name="statistics_open_data"
    ),
]
