"""Duties through the pipeline: routing assesses and charges, release waits for the money, a
payment releases, a guarantee secures, an amendment re-assesses and posts the difference."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Role
from agencies.models import Agency
from declarations.models import Declaration, Status
from payments.ledger import declaration_totals, trader_balance
from payments.models import Assessment, Facility, FacilityKind, LedgerTransaction, PaymentMethod
from payments.payments import payment_settle, payment_start
from payments.refdata.loader import DEMO_TARIFF, tariff_load
from payments.status import MoneyState, money_status
from tests.agencies.fixtures import SHAVER_PARTS, client_for, item, payload_with
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tariff(agencies):
    """The demo tariff with its fees (the veterinary agency its fee rules name, too)."""
    if not Agency.objects.filter(code="veterinary").exists():
        AgencyFactory(code="veterinary", name="Veterinary")
    Agency.objects.update(auto_decide=True)
    tariff_load(DEMO_TARIFF.read_text(encoding="utf-8"), source=DEMO_TARIFF.name)


def _payload(lrn: str = "PAY-1", value: str = "1000.00"):
    goods = item(1, SHAVER_PARTS)
    goods.update(value_amount=value, value_currency="GBP")
    return payload_with(goods, lrn=lrn)


def _lodge(user, capture, payload) -> Declaration:
    with capture(execute=True):
        response = client_for(user).post("/api/v1/declarations", payload, format="json")
    assert response.status_code == 201, response.json()
    return Declaration.objects.get(mrn=response.json()["mrn"])


def test_a_routed_declaration_is_charged_its_assessment_and_waits_until_it_is_paid(
    importer, tariff, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    declaration = _lodge(importer, capture, _payload())
    assessment = Assessment.objects.get(declaration=declaration, is_current=True)
    assert assessment.total > 0
    assert {line.tax_type for line in assessment.lines.all() if line.is_charged} >= {"A00", "B00"}
    # Every agency approved automatically, yet the goods wait for the money.
    declaration.refresh_from_db()
    assert declaration.status == Status.IN_REVIEW
    assert declaration_totals(declaration.pk) == (assessment.total, assessment.total)
    assert trader_balance(declaration.trader_account) == assessment.total
    assert money_status(declaration).state is MoneyState.DUE

    payment = payment_start(
        user=importer,
        trader_account=declaration.trader_account,
        allocations=[(declaration, None)],
        method=PaymentMethod.BANK_TRANSFER,
    )
    cashier = UserFactory(username="cashier", role=Role.CASHIER.value)
    with capture(execute=True):  # the settled payment's outbox row consolidates
        payment_settle(
            payment_id=payment.pk, provider_reference="BANK-1", amount=assessment.total, actor=cashier
        )

    declaration.refresh_from_db()
    assert declaration.status == Status.RELEASED
    assert trader_balance(declaration.trader_account) == 0
    assert list(LedgerTransaction.objects.order_by("pk").values_list("kind", flat=True)) == [
        "charge",
        "payment",
    ]


def test_a_declaration_covered_by_a_guarantee_is_released_without_payment(
    importer, importer_account, tariff, django_capture_on_commit_callbacks
):
    guarantee = Facility.objects.create(
        trader_account=importer_account,
        kind=FacilityKind.GUARANTEE,
        reference="GB-GUAR-0001",
        limit=Decimal("50000"),
        currency="GBP",
        valid_from=date(2020, 1, 1),
    )
    declaration = _lodge(importer, django_capture_on_commit_callbacks, _payload())
    declaration.refresh_from_db()
    assert declaration.status == Status.RELEASED
    status = money_status(declaration)
    assert status.state is MoneyState.SECURED and status.security is not None
    assert status.security.facility == guarantee and status.security.amount == status.outstanding > 0


def test_an_amendment_lowering_the_price_is_reassessed_and_the_difference_credited(
    importer, tariff, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    payload = _payload(lrn="PAY-AMEND")
    declaration = _lodge(importer, capture, payload)
    first = Assessment.objects.get(declaration=declaration, is_current=True)

    lower = copy.deepcopy(payload)
    lower["items"][0]["value_amount"] = "500.00"
    with capture(execute=True):
        response = client_for(importer).post(
            f"/api/v1/declarations/{declaration.mrn}/amendments",
            {"declaration": lower, "reason": "invoice corrected"},
            format="json",
        )
    assert response.status_code in (200, 201), response.json()

    second = Assessment.objects.get(declaration=declaration, is_current=True)
    assert second.supersedes == first and second.total < first.total
    kinds = list(LedgerTransaction.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["charge", "adjustment"]
    assert declaration_totals(declaration.pk) == (second.total, second.total)
    assert trader_balance(declaration.trader_account) == second.total


def test_the_declaration_api_carries_the_assessment_lines_totals_and_payment_status(
    importer, standards_officer, tariff, django_capture_on_commit_callbacks
):
    declaration = _lodge(importer, django_capture_on_commit_callbacks, _payload(lrn="PAY-API"))
    assessment = Assessment.objects.get(declaration=declaration, is_current=True)
    body = client_for(importer).get(f"/api/v1/declarations/{declaration.mrn}").json()
    section = body["assessment"]
    assert section["version"] == 1 and section["total"] == str(assessment.total)
    assert sum(Decimal(line["amount"]) for line in section["lines"]) == assessment.total
    assert sum(Decimal(t["amount"]) for t in section["totals"]) == assessment.total
    duty = next(line for line in section["lines"] if line["tax_type"] == "A00")
    assert duty["item"] == 1 and duty["rate_kind"] and duty["explanation"]
    assert body["payment"]["state"] == "due" and body["payment"]["outstanding"] == str(assessment.total)
    # The standards officer sees its item's lines and its own fee, not the other agencies' fees.
    seen = client_for(standards_officer).get(f"/api/v1/declarations/{declaration.mrn}").json()["assessment"]
    assert {line["agency"] for line in seen["lines"] if line["tax_type"] == "FEE"} <= {"standards"}


def test_a_refusal_waits_for_no_payment_and_credits_the_charges_and_a_supervisors_release_charges_them_again(
    importer, supervisor, standards_officer, tariff, django_capture_on_commit_callbacks
):
    from agencies.models import AgencyReview
    from agencies.services import review_decide
    from clearance.services import release_override

    capture = django_capture_on_commit_callbacks
    Agency.objects.filter(code="standards").update(auto_decide=False)
    declaration = _lodge(importer, capture, _payload(lrn="PAY-REFUSED"))
    charged = Assessment.objects.get(declaration=declaration, is_current=True).total
    assert declaration_totals(declaration.pk) == (charged, charged)

    review = AgencyReview.objects.get(declaration=declaration, agency__code="standards")
    with capture(execute=True):
        review_decide(review=review, officer=standards_officer, outcome="rejected", reason="Prohibited goods")
    declaration.refresh_from_db()
    assert declaration.status == Status.REFUSED  # nothing paid, yet refused at once
    assert declaration_totals(declaration.pk) == (Decimal("0.00"), Decimal("0.00"))
    assert trader_balance(declaration.trader_account) == 0

    with capture(execute=True):
        release_override(
            declaration=declaration, supervisor=supervisor, outcome="released", reason="Licence shown"
        )
    declaration.refresh_from_db()
    assert declaration.status == Status.RELEASED
    assert declaration_totals(declaration.pk) == (charged, charged)  # owed again
    kinds = list(LedgerTransaction.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["charge", "adjustment", "adjustment"]


def test_the_declarations_timeline_shows_its_payment_to_the_trader_and_not_to_an_agency_officer(
    importer, standards_officer, tariff, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    Agency.objects.filter(code="standards").update(auto_decide=False)  # the officer still sees it
    declaration = _lodge(importer, capture, _payload(lrn="PAY-TIMELINE"))
    owed = money_status(declaration).outstanding
    payment = payment_start(
        user=importer,
        trader_account=declaration.trader_account,
        allocations=[(declaration, None)],
        method=PaymentMethod.BANK_TRANSFER,
    )
    with capture(execute=True):
        payment_settle(payment_id=payment.pk, provider_reference="BANK-TL", amount=owed)

    def actions(user):
        timeline = client_for(user).get(f"/api/v1/declarations/{declaration.mrn}").json()["timeline"]
        return [entry["action"] for entry in timeline]

    seen = actions(importer)
    assert "payments.payment.initiated" in seen and "payments.payment.settled" in seen
    assert seen.index("payments.payment.initiated") < seen.index("payments.payment.settled")
    assert not [a for a in actions(standards_officer) if a.startswith("payments.payment.")]
