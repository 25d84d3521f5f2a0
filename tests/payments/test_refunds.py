"""A cancelled declaration that was paid is refunded; credits and refunds are entries, never deletions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from declarations.amendments import declaration_cancel
from declarations.models import Channel, Declaration
from payments.charges import declaration_charge
from payments.ledger import (
    Leg,
    declaration_totals,
    ledger_account,
    post,
    trader_balance,
    trader_ledger_account,
)
from payments.models import Entry, LedgerAccountKind, LedgerTransaction, TransactionKind
from payments.refunds import declaration_refund, revenue_by_code
from tests.agencies.fixtures import TEA, client_for, item, payload_with

pytestmark = pytest.mark.django_db

D = Decimal


def _lodged(importer, capture) -> Declaration:
    with capture(execute=False):
        response = client_for(importer).post(
            "/api/v1/declarations", payload_with(item(1, TEA)), format="json"
        )
    return Declaration.objects.get(mrn=response.json()["mrn"])


def _pay(declaration: Declaration, amount: Decimal) -> None:
    post(
        kind=TransactionKind.PAYMENT,
        trader_account=declaration.trader_account,
        legs=[
            Leg(ledger_account(LedgerAccountKind.BANK, code="main"), debit=amount),
            Leg(
                trader_ledger_account(declaration.trader_account),
                credit=amount,
                declaration_id=declaration.pk,
            ),
        ],
    )


def test_a_paid_declaration_cancelled_is_credited_and_refunded_once_however_often_the_task_runs(
    importer, django_capture_on_commit_callbacks
):
    declaration = _lodged(importer, django_capture_on_commit_callbacks)
    declaration_charge(declaration=declaration, amounts={"A00": D("30.00"), "B00": D("126.00")})
    _pay(declaration, D("156.00"))
    entries_before = list(Entry.objects.order_by("pk").values_list("pk", "debit", "credit"))
    with django_capture_on_commit_callbacks(execute=True):  # the outbox runs the refund task
        declaration_cancel(
            user=importer, declaration=declaration, reason="Goods not shipped", channel=Channel.WEB_FORM
        )

    assert revenue_by_code(declaration.pk) == {"A00": D("0.00"), "B00": D("0.00")}
    assert declaration_totals(declaration.pk) == (D("0.00"), D("0.00"))
    assert trader_balance(declaration.trader_account) == 0
    kinds = list(LedgerTransaction.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["charge", "payment", "adjustment", "refund"]
    refund = LedgerTransaction.objects.get(kind="refund")
    assert refund.entries.get(account__kind="refunds").credit == D("156.00")
    # Nothing earlier changed, and a second run posts nothing more.
    assert (
        list(
            Entry.objects.filter(pk__in=[e[0] for e in entries_before])
            .order_by("pk")
            .values_list("pk", "debit", "credit")
        )
        == entries_before
    )
    assert (
        declaration_refund(declaration_id=declaration.pk) == (None, None, 0)
        or LedgerTransaction.objects.count() == 4
    )
    assert LedgerTransaction.objects.count() == 4


def test_an_unpaid_cancelled_declaration_is_only_credited_and_a_live_one_is_left_alone(
    importer, django_capture_on_commit_callbacks
):
    declaration = _lodged(importer, django_capture_on_commit_callbacks)
    declaration_charge(declaration=declaration, amounts={"A00": D("12.00")})
    assert declaration_refund(declaration_id=declaration.pk) is None  # not cancelled: nothing happens
    with django_capture_on_commit_callbacks(execute=True):
        declaration_cancel(
            user=importer, declaration=declaration, reason="Duplicate", channel=Channel.WEB_FORM
        )
    assert list(LedgerTransaction.objects.order_by("pk").values_list("kind", flat=True)) == [
        "charge",
        "adjustment",
    ]
    assert trader_balance(declaration.trader_account) == 0


def test_a_cancelled_declaration_releases_its_security_through_the_facilities_audited(
    importer, importer_account, django_capture_on_commit_callbacks
):
    from datetime import date

    from payments.facilities import declaration_secure
    from payments.models import Facility, FacilityKind, Security
    from singlewindow.models import AuditEvent

    facility = Facility.objects.create(
        trader_account=importer_account,
        kind=FacilityKind.GUARANTEE,
        reference="GBGUA-REFUND",
        limit=D("1000"),
        currency="GBP",
        valid_from=date(2026, 1, 1),
    )
    declaration = _lodged(importer, django_capture_on_commit_callbacks)
    declaration_charge(declaration=declaration, amounts={"A00": D("40.00")})
    assert declaration_secure(declaration=declaration, amount=D("40.00")).secured
    with django_capture_on_commit_callbacks(execute=True):
        declaration_cancel(
            user=importer, declaration=declaration, reason="Not shipped", channel=Channel.WEB_FORM
        )
    security = Security.objects.get(facility=facility)
    assert security.released_at is not None and security.released_reason == "cancelled"
    released = AuditEvent.objects.filter(action="payments.security.released", object_id=declaration.pk)
    assert [e.data["security"] for e in released] == [security.pk]  # on the declaration's timeline
