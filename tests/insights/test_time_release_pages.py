"""The Time Release Study's pages: who sees them, what their tables say, their CSV files, their
query counts, and the public open data."""

from __future__ import annotations

import csv
import html as html_lib
import io
import json
import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from insights import buckets, selectors
from insights.templatetags.time_release import duration
from tests.factories import UserFactory
from tests.insights.time_release_data import facts_make

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 20)
PAGES = [
    reverse("insights:overview"),
    *(reverse("insights:breakdown", args=[d]) for d in ("agency", "lane", "type", "office", "direction")),
]


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(date(2026, 3, 20).isoformat() + "T15:00:00Z", tick=False):
        cache.clear()
        yield


@pytest.fixture
def admin(db):
    return UserFactory(username="admin", role="admin")


@pytest.fixture
def studied(db):
    """Sixty releases over the last four weeks, 1 to 60 hours each."""
    return facts_make([(TODAY - timedelta(days=i % 28), 3600 * (i + 1)) for i in range(60)])


@pytest.mark.parametrize("persona", ["importer", "broker", "plant_officer", "outsider"])
def test_traders_brokers_and_officers_get_404_for_every_insight_page_and_csv(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    for url in PAGES:
        assert client.get(url).status_code == 404, url
        assert client.get(url, {"format": "csv", "table": "where"}).status_code == 404, url


def test_anonymous_is_sent_to_sign_in(client):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


@pytest.mark.parametrize("persona", ["supervisor", "admin"])
def test_supervisors_and_administrators_see_every_page(client, request, persona, studied):
    client.force_login(request.getfixturevalue(persona))
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"<svg" in response.content


def test_an_unknown_breakdown_is_404(client, supervisor):
    client.force_login(supervisor)
    assert client.get(reverse("insights:breakdown", args=["trader"])).status_code == 404


def test_the_navigation_links_insights_for_supervisors_only(client, supervisor, importer):
    client.force_login(supervisor)
    assert reverse("insights:overview").encode() in client.get(reverse("home")).content
    client.force_login(importer)
    assert reverse("insights:overview").encode() not in client.get(reverse("home")).content


def _html_table(content: bytes, name: str) -> list[list[str]]:
    html = content.decode()
    table = html[html.index(f'id="table-{name}"') :]
    table = table[: table.index("</table>")]
    body = table[table.index("<tbody>") :]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append([html_lib.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


@pytest.mark.parametrize(
    ("url", "tables"),
    [
        (reverse("insights:overview"), ["stages", "where", "trend"]),
        (reverse("insights:breakdown", args=["lane"]), ["release", "where"]),
        (reverse("insights:breakdown", args=["office"]), ["release", "where"]),
    ],
)
def test_each_csv_has_the_rows_and_numbers_of_its_table(client, supervisor, studied, url, tables):
    client.force_login(supervisor)
    page = client.get(url)
    for name in tables:
        shown = _html_table(page.content, name)
        response = client.get(url, {"format": "csv", "table": name})
        assert response["Content-Type"].startswith("text/csv")
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        header, *rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) == len(shown) > 0
        for csv_row, html_row in zip(rows, shown, strict=True):
            assert csv_row[0] == html_row[0]
            for column, (raw, cell) in enumerate(zip(csv_row[1:], html_row[1:], strict=True)):
                if "(seconds)" in header[column + 1]:
                    assert duration(float(raw) if raw else None) == cell
                else:
                    assert f"{int(raw):,}" == cell


def test_the_stage_table_gives_count_and_percentiles_of_the_release_time(client, supervisor, studied):
    client.force_login(supervisor)
    rows = {r[0]: r for r in _html_table(client.get(reverse("insights:overview")).content, "stages")}
    total = rows["Lodgement to release"]
    assert total[1] == "60"
    exact_median = 30.5 * 3600
    (row,) = selectors.stage_summary(start=TODAY - timedelta(days=90), end=TODAY, stage="total")
    assert abs(row.p50 - exact_median) <= exact_median * (buckets.RATIO - 1)
    assert total[2] == duration(row.p50)
    assert row.mean == pytest.approx(30.5 * 3600)


def test_filters_narrow_the_figures_and_two_filters_read_the_facts(client, supervisor, studied):
    client.force_login(supervisor)
    one = selectors.stage_summary(
        start=TODAY - timedelta(days=90), end=TODAY, stage="total", filters={"lane": "red"}
    )
    assert one[0].count == 20  # every third of sixty
    # Lanes and types cycle together over three: every red one is an IMD, none an IMA.
    red_imd = selectors.stage_summary(
        start=TODAY - timedelta(days=90), end=TODAY, stage="total", filters={"lane": "red", "type": "IMD"}
    )
    assert (red_imd[0].count, red_imd[0].p50) == (one[0].count, one[0].p50)
    red_ima = selectors.stage_summary(
        start=TODAY - timedelta(days=90), end=TODAY, stage="total", filters={"lane": "red", "type": "IMA"}
    )
    assert red_ima == []
    page = client.get(reverse("insights:overview"), {"lane": "red", "direction": "import"})
    assert page.status_code == 200
    assert _html_table(page.content, "stages")[4][1] == "20"


def test_a_bad_period_is_an_error_summary_and_the_default_figures(client, supervisor, studied):
    client.force_login(supervisor)
    page = client.get(reverse("insights:overview"), {"date_from": "2026-03-10", "date_to": "2026-03-01"})
    assert page.status_code == 200
    assert b'id="error-summary"' in page.content
    assert b"The end date must be the same as or after the start date." in page.content
    assert _html_table(page.content, "stages")[4][1] == "60"


@pytest.mark.parametrize("url", PAGES)
def test_query_counts_do_not_grow_with_the_number_of_declarations(
    client, supervisor, django_assert_max_num_queries, url
):
    client.force_login(supervisor)
    facts_make([(TODAY - timedelta(days=i % 10), 600 * (i + 1)) for i in range(6)])
    client.get(url)  # sessions, caches
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200
    facts_make([(TODAY - timedelta(days=i % 80), 60 * (i + 1)) for i in range(120)], seed=9)
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(22):  # two filters: read from the facts, one query per stage
        assert client.get(url, {"lane": "red", "type": "IMA"}).status_code == 200


def test_open_data_is_public_complete_months_only_and_names_no_trader(client, importer):
    facts_make([(date(2026, 1, 1) + timedelta(days=i % 31), 3600 * (2 + i % 5)) for i in range(40)])
    facts_make([(date(2026, 2, 1) + timedelta(days=i % 28), 7200) for i in range(12)], office="GBLHR001")
    facts_make([(date(2026, 3, 1) + timedelta(days=i % 18), 7200) for i in range(30)])  # still running
    response = client.get(reverse("insights:open_data_json"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    months = {r["month"] for r in data["by_declaration_type"]} | {r["month"] for r in data["by_office"]}
    assert months == {"2026-01", "2026-02"}
    assert all(r["released"] >= 5 for r in data["by_declaration_type"] + data["by_office"])
    february = [r for r in data["by_office"] if r["month"] == "2026-02"]
    assert february == [
        {
            "month": "2026-02",
            "office": "GBLHR001",
            "released": 12,
            "average_release_hours": 2.0,
            "median_release_hours": february[0]["median_release_hours"],
        }
    ]
    assert abs(february[0]["median_release_hours"] - 2.0) <= 2.0 * (buckets.RATIO - 1)
    text = response.content.decode()
    assert "26GBTRS" not in text and "lodger" not in text and importer.username not in text
    page = client.get(reverse("insights:open_data"))
    assert page.status_code == 200
    assert reverse("insights:open_data_json").encode() in page.content
