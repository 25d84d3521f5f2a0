"""Trade statistics: the monthly table rewritten set-based, the supervisors' page and CSV, the
public open data (aggregates only, small cells suppressed), who may see what, query counts."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from declarations.models import Declaration, Status
from insights import statistics
from insights.models import TradeMonthly
from tests.agencies.fixtures import lodge
from tests.declarations.payloads import import_payload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/insights/statistics/"
OPEN_DATA = "/insights/open-data/trade-statistics.json"


@pytest.fixture
def released(importer, agencies, django_capture_on_commit_callbacks):
    """Three of the importer's declarations released this month (shaver parts from the US, 1,000
    GBP and 100 kg each; hair clippers from China, 500 GBP and 40.5 kg each), one lodged and not
    released, one released two months ago."""
    made = [
        lodge(importer, import_payload(lrn=f"STAT-{n}"), django_capture_on_commit_callbacks) for n in range(5)
    ]
    Declaration.objects.filter(pk__in=[d.pk for d in made[:3]]).update(status=Status.RELEASED)
    old = made[4]
    Declaration.objects.filter(pk=old.pk).update(
        status=Status.RELEASED, accepted_at=timezone.now() - timedelta(days=62)
    )
    today = timezone.localdate()
    statistics.trade_monthly_refresh(first=today - timedelta(days=95), last=today)
    return made


def this_month():
    return statistics.month_start(timezone.localdate())


def test_refresh_sums_released_goods_by_month_direction_chapter_and_origin(released):
    rows = {(r.direction, r.hs_chapter, r.origin): r for r in TradeMonthly.objects.filter(month=this_month())}
    assert set(rows) == {("import", "85", "US"), ("import", "85", "CN")}
    us = rows[("import", "85", "US")]
    assert (us.declarations, us.items, us.statistical_value, us.net_mass) == (
        3,
        3,
        Decimal("3000.000"),
        Decimal("300.000"),
    )
    cn = rows[("import", "85", "CN")]
    assert (cn.declarations, cn.statistical_value, cn.net_mass) == (
        3,
        Decimal("1500.000"),
        Decimal("121.500"),
    )
    older = TradeMonthly.objects.exclude(month=this_month())  # the declaration released two months ago
    assert sorted(older.values_list("origin", "declarations")) == [("CN", 1), ("US", 1)]


def test_refresh_again_rewrites_the_same_rows(released):
    before = sorted(TradeMonthly.objects.values_list("month", "hs_chapter", "origin", "items"))
    today = timezone.localdate()
    statistics.trade_monthly_refresh(first=today - timedelta(days=95), last=today)
    assert sorted(TradeMonthly.objects.values_list("month", "hs_chapter", "origin", "items")) == before


def test_supervisor_sees_value_and_mass_by_chapter_origin_and_month_with_a_chart(
    client, supervisor, released
):
    client.force_login(supervisor)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "4,500" in html  # this month's value, chapter 85
    assert 'role="img"' in html and "Statistical value per month" in html
    assert "GB553202734852" not in html  # no trader on the page
    only_cn = client.get(URL, {"origin": "CN"}).content.decode()
    assert "1,500" in only_cn and "4,500" not in only_cn


def test_chapter_csv_has_the_page_figures(client, supervisor, released):
    client.force_login(supervisor)
    response = client.get(f"{URL}chapters.csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert rows[0][0] == "HS chapter"
    (chapter,) = rows[1:]
    assert chapter[0] == "85" and chapter[2] == "8"  # 6 items this month and 2 two months ago
    assert client.get(f"{URL}other.csv").status_code == 404


@pytest.mark.parametrize("persona", ["importer", "broker", "outsider", "officer", "cashier"])
def test_statistics_page_is_a_404_for_traders_officers_and_cashiers(client, released, persona, request):
    if persona in ("officer", "cashier"):
        user = UserFactory(username=f"a_{persona}", role=persona)
    else:
        user = request.getfixturevalue(persona)
    client.force_login(user)
    assert client.get(URL).status_code == 404
    assert client.get(f"{URL}chapters.csv").status_code == 404


def test_open_data_is_public_aggregated_and_suppresses_small_cells(client, released):
    response = client.get(OPEN_DATA)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public")
    body = json.loads(response.content)
    cells = {(c["month"], c["hs_chapter"]): c for c in body["cells"]}
    current = cells[(this_month().strftime("%Y-%m"), "85")]
    # One trader's declarations only: never published (test_attacks_issue11 publishes three traders').
    assert current["suppressed"] and current["statistical_value"] is None
    older = [c for (month, _), c in cells.items() if month != this_month().strftime("%Y-%m")]
    assert older and all(c.get("suppressed") and c["statistical_value"] is None for c in older)
    text = response.content.decode()
    assert (
        "GB553202734852" not in text and "STAT-" not in text and "origin" not in text.replace("origins", "")
    )
    assert client.get(OPEN_DATA, {"from": "not-a-month"}).status_code == 400


def test_statistics_page_queries_stay_fixed(client, supervisor, released, django_assert_max_num_queries):
    client.force_login(supervisor)
    client.get(URL)
    with django_assert_max_num_queries(12):
        assert client.get(URL).status_code == 200


def test_refresh_command_rewrites_the_months_since_the_one_given(released):
    from io import StringIO

    from django.core.management import call_command

    TradeMonthly.objects.all().delete()
    out = StringIO()
    call_command(
        "insights_trade_refresh", "--since", (this_month() - timedelta(days=70)).strftime("%Y-%m"), stdout=out
    )
    assert "rows of trade statistics" in out.getvalue()
    assert TradeMonthly.objects.filter(month=this_month()).count() == 2
