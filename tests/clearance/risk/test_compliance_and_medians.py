"""The compliance history clearance feeds (agencies' rejections, late payments), recorded once each;
the medians of declared value per unit; the demo's risk profile."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from agencies.services import review_decide
from clearance.models import ComplianceEvent, ComplianceKind, RiskRule, RiskSettings, ValueMedian
from clearance.risk.compliance import compliance_record, late_payments_record, rejections_record
from clearance.risk.medians import medians_refresh
from payments.facilities import declaration_secure
from payments.models import FacilityKind
from payments.statements import Period, statement_generate, statements_mark_overdue
from tests.agencies.fixtures import item, lodge, payload_with, review_of
from tests.payments.facilities_support import charged as charged_with
from tests.payments.facilities_support import facility, lodged

pytestmark = pytest.mark.django_db


def test_an_agency_rejection_goes_on_the_trader_history_once(
    routed, plant_officer, importer_account, django_capture_on_commit_callbacks
):
    review = review_of(routed, "plant-health")
    with django_capture_on_commit_callbacks(execute=True):
        review_decide(review=review, officer=plant_officer, outcome="rejected", reason="no certificate")
    event = ComplianceEvent.objects.get(source=f"review:{review.pk}")
    assert (event.kind, event.trader_account, event.declaration, event.agency.code) == (
        ComplianceKind.AGENCY_REJECTION,
        importer_account,
        routed,
        "plant-health",
    )
    assert event.details == "no certificate"
    rejections_record()
    compliance_record()
    assert ComplianceEvent.objects.filter(kind=ComplianceKind.AGENCY_REJECTION).count() == 1


def test_an_overdue_statement_is_a_late_payment_once(importer, importer_account):
    deferment = facility(
        importer_account, kind=FacilityKind.DEFERMENT, reference="DAN7654321", limit="1000.00"
    )
    with time_machine.travel(date(2026, 10, 12), tick=False):
        declaration_secure(declaration=charged_with(lodged(importer), "100.00"), amount=Decimal("100.00"))
    with time_machine.travel(date(2026, 11, 1), tick=False):
        statement = statement_generate(facility=deferment, period=Period.month(2026, 10))
    assert late_payments_record() == 0  # open, not yet due
    statements_mark_overdue(today=date(2026, 12, 31))
    late_payments_record()
    late_payments_record()
    event = ComplianceEvent.objects.get(kind=ComplianceKind.LATE_PAYMENT)
    assert (event.source, event.trader_account, event.amount) == (
        f"statement:{statement.pk}",
        importer_account,
        statement.total,
    )
    assert event.occurred_at.date() > statement.due_on


def test_medians_per_kilogram_from_accepted_declarations_with_a_minimum_sample(
    importer, agencies, django_capture_on_commit_callbacks
):
    # The sample's item: 1000 GBP for 100 kg; lodged with 10, 20, … 50 GBP/kg.
    for n in range(1, 6):
        shavers = item(1, "85109000")
        shavers["value_amount"] = str(1000 * n)
        lodge(importer, payload_with(shavers, lrn=f"MED-{n}"), django_capture_on_commit_callbacks)
    done = medians_refresh(min_sample=5)
    assert done.kept == 1
    median = ValueMedian.objects.get()
    assert (median.hs_subheading, median.unit, median.sample_size, median.currency) == (
        "851090",
        "kg",
        5,
        "GBP",
    )
    assert median.median == Decimal("30")
    assert medians_refresh(min_sample=6).kept == 0 and not ValueMedian.objects.exists()
    call_command("risk_medians_refresh", "--min-sample", "5", stdout=io.StringIO())
    assert ValueMedian.objects.count() == 1


def test_the_demo_seeds_a_risk_profile_and_a_random_share(db):
    from clearance.demo import RISK_RULES, seed_demo

    seed_demo(outside_embedded=True)
    seed_demo(outside_embedded=True)  # idempotent
    assert RiskRule.objects.filter(is_active=True).count() == len(RISK_RULES)
    assert RiskSettings.objects.get().random_share == Decimal("5")
    seed_demo(auto_decide=True, outside_embedded=True)  # unattended: nothing waits on a control
    assert not RiskRule.objects.filter(is_active=True).exists()
    assert RiskSettings.objects.get().random_share == 0
