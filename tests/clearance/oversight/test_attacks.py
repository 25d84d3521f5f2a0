"""Oversight pages under hostile input: dates at the ends of the calendar are a form error or a
period that fits, never a server error."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

EDGES = [
    {"date_to": "0001-01-02"},
    {"date_from": "0001-01-01"},
    {"date_from": "9999-12-31"},
    {"date_to": "9999-12-31"},
    {"date_from": "9999-12-25", "date_to": "9999-12-31"},
    {"date_from": "0001-01-01", "date_to": "0001-01-05"},
]


@pytest.mark.parametrize("query", EDGES)
def test_dashboard_and_its_csv_never_fail_on_dates_at_the_ends_of_the_calendar(
    client, supervisor, oversight, query
):
    client.force_login(supervisor)
    page = client.get(reverse("clearance:risk_dashboard"), query)
    assert page.status_code in (200, 400)
    for table in ("lanes", "rules", "controls", "sample"):
        response = client.get(reverse("clearance:risk_dashboard_csv", args=[table]), query)
        assert response.status_code in (200, 400)
        b"".join(response.streaming_content)
