"""Released declarations for the audit tests: green and released at once (no tariff), or charged
their duties (the demo tariff) and paid, then released; auditors and a ledger balance check."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum

from accounts.models import Role, User
from agencies.models import Agency
from clearance.models import Lane
from declarations.models import Declaration, Status
from payments.models import Assessment, Entry, PaymentMethod
from payments.payments import payment_settle, payment_start
from payments.refdata.loader import DEMO_TARIFF, tariff_load
from tests.agencies.fixtures import SHAVER_PARTS, client_for, item, payload_with
from tests.clearance.inspections.conftest import (  # noqa: F401
    agencies,
    customs,
    customs_officer,
    customs_officer_2,
    food_officer,
    food_safety,
    media_in_tmp,
    no_random_selection,
    plant_health,
    plant_officer,
    routed_in_lane,
    standards,
    standards_officer,
)
from tests.factories import AgencyFactory, UserFactory


def released_green(user: User, lrn: str, capture: Any, *items: dict[str, Any]) -> Declaration:
    """Lodged and released at once: every agency approves automatically, the lane is green."""
    Agency.objects.update(auto_decide=True)
    declaration = routed_in_lane(user, Lane.GREEN, *items, lrn=lrn, capture=capture)
    assert declaration.status == Status.RELEASED
    return declaration


@pytest.fixture
def tariff(agencies: dict[str, Agency]) -> None:  # noqa: F811 - the fixture above
    """The demo tariff with its fees; every agency decides automatically."""
    if not Agency.objects.filter(code="veterinary").exists():
        AgencyFactory(code="veterinary", name="Veterinary")
    Agency.objects.update(auto_decide=True)
    tariff_load(DEMO_TARIFF.read_text(encoding="utf-8"), source=DEMO_TARIFF.name)


def released_paid(user: User, lrn: str, capture: Any, value: str = "1000.00") -> Declaration:
    """Lodged with the demo tariff (charged A00, B00 and fees), paid by bank transfer, released."""
    goods = item(1, SHAVER_PARTS)
    goods.update(value_amount=value, value_currency="GBP")
    with capture(execute=True):
        response = client_for(user).post("/api/v1/declarations", payload_with(goods, lrn=lrn), format="json")
    assert response.status_code == 201, response.json()
    declaration = Declaration.objects.get(mrn=response.json()["mrn"])
    total = Assessment.objects.get(declaration=declaration, is_current=True).total
    payment = payment_start(
        user=user,
        trader_account=declaration.trader_account,
        allocations=[(declaration, None)],
        method=PaymentMethod.BANK_TRANSFER,
    )
    cashier = User.objects.filter(username="cashier").first() or UserFactory(
        username="cashier", role=Role.CASHIER.value
    )
    with capture(execute=True):
        payment_settle(payment_id=payment.pk, provider_reference=f"BANK-{lrn}", amount=total, actor=cashier)
    declaration.refresh_from_db()
    assert declaration.status == Status.RELEASED
    return declaration


def ledger_balances() -> bool:
    """Every debit in the ledger has its credit (per currency)."""
    totals = Entry.objects.values("currency").annotate(d=Sum("debit"), c=Sum("credit"))
    return all(Decimal(t["d"]) == Decimal(t["c"]) for t in totals)
