"""Issue 11's insights as an attacker reads them: the public trade statistics never give the
value or mass of a cell that one or two traders make up, however many declarations or origins."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from declarations.models import Declaration, Status
from insights import statistics
from tests.agencies.fixtures import lodge
from tests.declarations.payloads import import_payload
from tests.factories import TraderAccountFactory

pytestmark = pytest.mark.django_db

OPEN_DATA = "/insights/open-data/trade-statistics.json"


def released_by(importer, capture, traders: int, declarations: int) -> None:
    """``declarations`` of this month released (shaver parts from the US and clippers from China,
    chapter 85), spread over ``traders`` trader accounts."""
    made = [lodge(importer, import_payload(lrn=f"ATK-{n}"), capture) for n in range(declarations)]
    accounts = [made[0].trader_account] + [
        TraderAccountFactory(eori=f"GB00000000000{n}", name=f"Trader {n}") for n in range(1, traders)
    ]
    for n, declaration in enumerate(made):
        Declaration.objects.filter(pk=declaration.pk).update(
            status=Status.RELEASED, trader_account=accounts[n % traders]
        )
    today = timezone.localdate()
    statistics.trade_monthly_refresh(first=today, last=today)


def current_cell(client) -> dict:
    body = json.loads(client.get(OPEN_DATA).content)
    month = statistics.month_start(timezone.localdate()).strftime("%Y-%m")
    (cell,) = [c for c in body["cells"] if c["month"] == month and c["hs_chapter"] == "85"]
    return cell


def test_one_traders_declarations_are_never_published_however_many(
    client, importer, agencies, django_capture_on_commit_callbacks
):
    released_by(importer, django_capture_on_commit_callbacks, traders=1, declarations=3)
    cell = current_cell(client)
    assert cell["suppressed"] is True
    assert cell["statistical_value"] is None and cell["net_mass_kg"] is None


def test_one_declaration_of_several_origins_is_not_published(
    client, importer, agencies, django_capture_on_commit_callbacks
):
    # Two items of two origins: the cells' declaration counts summed over origins said 2.
    released_by(importer, django_capture_on_commit_callbacks, traders=1, declarations=2)
    assert current_cell(client)["statistical_value"] is None


def test_a_cell_of_three_traders_is_published(client, importer, agencies, django_capture_on_commit_callbacks):
    released_by(importer, django_capture_on_commit_callbacks, traders=3, declarations=3)
    cell = current_cell(client)
    assert not cell.get("suppressed")
    assert cell["statistical_value"] == "4500.000"
