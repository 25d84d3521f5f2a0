"""The assessment on the declaration page: every line explained, totals, the declared amounts that
differ, what an officer of another agency sees, and a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.access import agency_add_officer
from agencies.models import AgencyReview
from declarations.models import Declaration, GoodsItem, Status
from declarations.selectors import declaration_with_details
from payments.assessment import assess
from payments.assessment_panel import assessment_panel
from tests.factories import UserFactory

from .tariff_fixtures import declaration_with, item

pytestmark = pytest.mark.django_db


def page_of(client, declaration: Declaration) -> str:
    response = client.get(reverse("declarations:detail", args=[declaration.mrn]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_trader_sees_every_line_explained_with_totals(client, importer, importer_account, uk_tariff):
    declaration = declaration_with(
        importer,
        importer_account,
        item(1, value_amount=Decimal("1013.75")),
        item(2, "02071290", net_mass=Decimal("250")),
    )
    assess(declaration, agencies={uk_tariff["veterinary"]: [2]})
    client.force_login(importer)
    page = page_of(client, declaration)
    assert "Duties, taxes and fees" in page
    assert (
        "Customs duty 2 % of customs value 1,013.75 GBP (UK Global Tariff 8510, valid from 2021-01-01)"
        in page
    )
    assert "27.2 GBP per 100 kg net mass on 2.5 DTN" in page
    assert "Total to pay or secure" in page
    # 20.28 + 68.00 duty, VAT 20 % of 1,034.03 = 206.81 and 0 on the fowls (zero rate), fee 18.00.
    assert "<strong>313.09</strong>" in page
    assert 'Customs duty (A00)</th><td class="num">88.28' in page


def test_declared_amounts_that_differ_are_shown_beside_the_portals(
    client, importer, importer_account, uk_tariff
):
    declaration = declaration_with(
        importer,
        importer_account,
        item(1, "02071290"),
        item(2),
        tax_lines=((1, "A00", "200"), (2, "A00", "20.00")),
    )
    assess(declaration, agencies={})
    client.force_login(importer)
    page = page_of(client, declaration)
    assert "Your declared amounts differ from the portal's assessment" in page
    assert "Item 1, tax type A00: declared 200.00 GBP, assessed 27.20 GBP." in page
    assert "Item 2, tax type A00" not in page  # declared 20.00, assessed 20.00
    assert 'class="flag flag--overdue"' in page


def test_an_amendment_shows_the_difference_to_the_previous_assessment(
    client, importer, importer_account, uk_tariff
):
    declaration = declaration_with(importer, importer_account, item(value_amount=Decimal("1000")))
    assess(declaration, agencies={})
    GoodsItem.objects.filter(declaration=declaration).update(value_amount=Decimal("1500"))
    Declaration.objects.filter(pk=declaration.pk).update(version=2)
    assess(declaration, agencies={})
    client.force_login(importer)
    assert "version 1 came to 224.00 GBP, this version to 336.00 GBP (a difference of 112.00 GBP)" in (
        page_of(client, declaration)
    )


def test_no_panel_before_the_declaration_is_assessed(client, importer, importer_account, uk_tariff):
    declaration = declaration_with(importer, importer_account, item())
    client.force_login(importer)
    assert "Duties, taxes and fees" not in page_of(client, declaration)


def test_the_panel_costs_the_same_queries_however_many_items_and_lines(
    client, importer, importer_account, uk_tariff
):
    small = declaration_with(importer, importer_account, item())
    large = declaration_with(
        importer,
        importer_account,
        *[
            item(n, code)
            for n, code in enumerate(["85109000", "02071290", "22042195", "07099310"] * 3, start=1)
        ],
    )
    client.force_login(importer)
    url = reverse("declarations:detail", args=[small.mrn])
    client.get(url)
    with CaptureQueriesContext(connection) as without:
        client.get(url)
    for declaration in (small, large):
        assess(declaration, agencies={uk_tariff["standards"]: [1, 2, 3]})
    with CaptureQueriesContext(connection) as with_small:
        client.get(url)
    with CaptureQueriesContext(connection) as with_large:
        client.get(reverse("declarations:detail", args=[large.mrn]))
    # The panel: the current assessment (one query when there is none), then its lines.
    assert len(with_small) == len(without) + 1
    assert len(with_large) == len(with_small)


def test_an_agency_officer_sees_its_items_and_its_fee_but_no_total(
    client, importer, importer_account, uk_tariff
):
    plant = uk_tariff["plant-health"]
    declaration = declaration_with(
        importer, importer_account, item(1, "07099310"), item(2, "85109000"), status=Status.IN_REVIEW
    )
    review = AgencyReview.objects.create(
        declaration=declaration, agency=plant, due_at=timezone.now() + timedelta(days=1)
    )
    review.items.set(GoodsItem.objects.filter(declaration=declaration, sequence=1))
    officer = UserFactory(username="plant_officer", role="officer")
    agency_add_officer(agency=plant, user=officer)
    assess(declaration, agencies={plant: [1], uk_tariff["standards"]: [2]})
    client.force_login(officer)
    page = page_of(client, declaration)
    assert "Customs duty 12 % of customs value 1,000.00 GBP" in page  # item 1: courgettes
    assert "UK Global Tariff 8510" not in page  # item 2 is not routed to plant health
    assert "Plant Health fee for its review" in page and "Standards fee" not in page
    assert "Total to pay or secure" not in page


def test_the_panel_itself_reads_two_queries(
    rf, importer, importer_account, uk_tariff, django_assert_num_queries
):
    declaration = declaration_with(importer, importer_account, *[item(n) for n in range(1, 6)])
    assess(declaration, agencies={uk_tariff["standards"]: [1, 2, 3, 4, 5]})
    loaded = declaration_with_details(declaration, user=importer)
    request = rf.get("/")
    request.user = importer
    with django_assert_num_queries(2):  # the current assessment (with the superseded one), its lines
        html = assessment_panel(request, loaded)
    assert html.count('class="assessment-line ') == 5 * 3 + 5
