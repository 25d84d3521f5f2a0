"""The risk dashboard: exact figures on a known data set, charts with their numbers, CSV, queries.

The data set (assessed within the last 90 days unless said): 10 green (2 of them selected at random
into the yellow lane and controlled: 1 compliant, 1 non-compliant), 5 yellow by score (4
controlled: 1 non-compliant), 3 red (3 controlled: 2 non-compliant), and one red assessed 200 days
ago (outside the default period). Rule "Roses from KE" hit the 3 red and 2 yellow ones.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clearance.models import Lane, RiskRule
from clearance.oversight import selectors
from tests.clearance.oversight.data import assessed, known_data_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_set(supervisor, oversight):
    return known_data_set(supervisor, oversight["customs"])


def test_dashboard_figures_on_a_known_data_set(data_set):
    period = selectors.Period.default()
    weeks = selectors.lane_mix(period)
    assert sum(w.counts["green"] for w in weeks) == 8
    assert sum(w.counts["yellow"] for w in weeks) == 7
    assert sum(w.counts["red"] for w in weeks) == 3
    assert len(weeks) in (13, 14)  # every week of the 90 days, empty ones too
    rules = selectors.rule_hit_rates(period)
    assert [(r.name, r.hit, r.controlled, r.non_compliant, str(r.rate)) for r in rules] == [
        ("Roses from KE", 5, 5, 2, "40.0")
    ]
    figures = selectors.control_figures(period, weeks)
    lanes = {c.key: (c.assessed, c.controlled, c.non_compliant, str(c.rate)) for c in figures.lanes}
    assert lanes == {
        "green": (8, 0, 0, "None"),
        "yellow": (7, 6, 2, "33.3"),
        "red": (3, 3, 2, "66.7"),
    }
    assert (figures.random.assessed, figures.random.controlled, figures.random.compliant) == (2, 2, 1)
    assert str(figures.random.compliance) == "50.0"
    assert (figures.risk.assessed, figures.risk.controlled, figures.risk.compliant) == (8, 7, 4)
    assert str(figures.risk.compliance) == "57.1"


def test_a_longer_period_takes_in_the_older_assessment(client, supervisor, data_set):
    client.force_login(supervisor)
    start = (timezone.localdate() - timedelta(days=365)).isoformat()
    text = client.get(reverse("clearance:risk_dashboard"), {"date_from": start}).content.decode()
    assert "19 declarations assessed" in text


def _table(html: str, table_id: str) -> list[list[str]]:
    body = html.split(f'id="{table_id}"')[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).replace("&nbsp;", " ").strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
        ]
        for r in rows
    ]


def test_charts_are_accessible_and_show_the_tables_numbers(client, supervisor, data_set):
    client.force_login(supervisor)
    html = client.get(reverse("clearance:risk_dashboard")).content.decode()
    for chart in ("lanes-chart", "rules-chart", "controls-chart", "sample-chart"):
        svg = html.split(f'aria-labelledby="{chart}-title {chart}-desc"')[1].split("</svg>")[0]
        assert f'<title id="{chart}-title">' in svg and f'<desc id="{chart}-desc">' in svg
    assert "<script" not in html.split("<main")[1].split("</main>")[0]
    rules_svg = html.split('id="rules-chart-title"')[1].split("</svg>")[0]
    assert "<title>Roses from KE: 40.0 %</title>" in rules_svg
    assert ["Roses from KE", "5", "5", "2", "40.0 %"] in _table(html, "rules-table")
    controls = _table(html, "controls-table")
    assert ["Yellow", "7", "6", "2", "33.3 %"] in controls and ["Red", "3", "3", "2", "66.7 %"] in controls
    controls_svg = html.split('id="controls-chart-title"')[1].split("</svg>")[0]
    assert "<title>Yellow: 33.3 %</title>" in controls_svg and "<title>Red: 66.7 %</title>" in controls_svg
    sample = _table(html, "sample-table")
    assert ["Selected at random (green lane)", "2", "2", "1", "50.0 %"] in sample
    assert "<title>At random: 50.0 %</title>" in html and "<title>By risk: 57.1 %</title>" in html
    # The lane chart's bars carry each week's counts, as the table's rows do.
    lanes_svg = html.split('id="lanes-chart-title"')[1].split("</svg>")[0]
    bar_counts = [int(n) for n in re.findall(r"<title>[^<]*: Green (\d+)</title>", lanes_svg)]
    table_rows = _table(html, "lanes-table")
    assert bar_counts == [int(row[1]) for row in table_rows[1:-1]]  # less the head and the totals
    assert table_rows[-1] == ["Total", "8", "7", "3", "18"]


def test_csv_tables_have_a_bom_and_escape_formula_cells(client, supervisor, data_set):
    RiskRule.objects.filter(name="Roses from KE").update(name="=HYPERLINK(1)")
    client.force_login(supervisor)
    response = client.get(reverse("clearance:risk_dashboard_csv", args=["rules"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    raw = b"".join(response.streaming_content).decode()
    assert raw.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff"))))
    assert rows[0] == ["Rule", "Declarations hit", "Controls completed", "Non-compliant", "Hit rate (%)"]
    assert rows[1] == ["'=HYPERLINK(1)", "5", "5", "2", "40.0"]
    for table in ("lanes", "controls", "sample"):
        assert client.get(reverse("clearance:risk_dashboard_csv", args=[table])).status_code == 200
    assert client.get(reverse("clearance:risk_dashboard_csv", args=["secrets"])).status_code == 404


def test_dashboard_queries_are_constant_whatever_the_data(client, supervisor, oversight, data_set):
    client.force_login(supervisor)
    url = reverse("clearance:risk_dashboard")
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for _ in range(10):
        assessed(supervisor, oversight["customs"], lane=Lane.RED, control="compliant", rule=data_set)
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    # Session, user, device, groups (role), the header's trader accounts; lane mix, hit rates per
    # rule, controls per lane and sample: three GROUP BY queries.
    assert len(after) == len(before) == DASHBOARD_QUERIES, [q["sql"] for q in after.captured_queries]


DASHBOARD_QUERIES = 9  # with the header's unread notifications


def test_bad_period_is_reported_and_the_default_shown(client, supervisor, oversight):
    client.force_login(supervisor)
    response = client.get(
        reverse("clearance:risk_dashboard"), {"date_from": "2026-05-01", "date_to": "2026-01-01"}
    )
    assert response.status_code == 200
    assert "The end date must be the same as or after the start date." in response.content.decode()


def test_period_fields_show_the_default_period(client, supervisor, oversight):
    client.force_login(supervisor)
    text = client.get(reverse("clearance:risk_dashboard")).content.decode()
    period = selectors.Period.default()
    assert f'value="{period.first.isoformat()}"' in text and f'value="{period.last.isoformat()}"' in text
