"""Issue 11's insights pages given nonsense in their query strings: a form error or the default,
never a server error."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

PAGES = [
    "/insights/",
    "/insights/time-release/lane/",
    "/insights/service-levels/",
    "/insights/service-levels/agencies.csv",
    "/insights/service-levels/breaches.csv",
    "/insights/scorecard/",
    "/insights/scorecard/figures.csv",
    "/insights/statistics/",
    "/insights/statistics/months.csv",
]
QUERIES = [
    {"date_from": "0001-01-01", "date_to": "9999-12-31"},
    {"date_from": "99999-01-01"},
    {"date_from": "2026-02-30", "date_to": "abc"},
    {"date_from": "2026-12-01", "date_to": "2020-01-01"},
    {"date_to": "0001-01-01"},
    {"date_from": "9999-12-31"},
    {"month_from": "0001-01", "month_to": "9999-12"},
    {"month_from": "9999-12"},
    {"month_to": "0001-01"},
    {"agency": "no-such-agency", "page": "-1"},
    {"page": "99999999999999999999999"},
    {"direction": "sideways", "type": "\x00", "office": "x" * 500, "lane": "purple"},
    {"format": "csv", "table": "nope"},
    {"period": "year", "compare": "\x00"},
]


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_nonsense_in_the_query_string_never_gives_a_server_error(client, supervisor, query):
    client.raise_request_exception = False
    client.force_login(supervisor)
    for page in PAGES:
        response = client.get(page, query)
        assert response.status_code in (200, 400, 404), (page, query, response.status_code)


@pytest.mark.parametrize("first", ["0000-01", "0001-01", "9999-12", "10000-01", "2026-13", "\x00", "-1-01"])
def test_the_open_datas_first_month_is_checked(client, first):
    client.raise_request_exception = False
    for page in ("/insights/open-data/trade-statistics.json", "/insights/open-data/release-times.json"):
        assert client.get(page, {"from": first}).status_code in (200, 400)
