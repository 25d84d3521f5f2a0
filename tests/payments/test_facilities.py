"""Guarantees and deferment accounts: which facility secures a declaration, headroom, release."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from payments import facilities
from payments.facilities import (
    declaration_secure,
    facilities_for,
    facility_headroom,
    facility_suspend,
    kinds_for_methods,
    security_release,
    security_resize,
    security_sync,
)
from payments.models import FacilityKind, FacilityStatus, ReleaseReason, Security
from payments.status import MoneyState, money_status
from singlewindow.models import AuditEvent, OutboxMessage
from tests.payments.facilities_support import charged, facility, lodged

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(date(2026, 11, 20), tick=False):
        yield


@pytest.fixture
def methods(monkeypatch):
    """The DE 4/8 methods of payment the declaration declares (set per test)."""
    declared: set[str] = set()
    monkeypatch.setattr(facilities, "declared_methods", lambda declaration: set(declared))
    return declared


def test_methods_of_payment_ask_for_a_deferment_account_a_guarantee_either_or_none():
    assert kinds_for_methods(["E", "A"]) == ([FacilityKind.DEFERMENT], "")
    assert kinds_for_methods(["R"]) == ([FacilityKind.GUARANTEE], "")
    assert kinds_for_methods(["s", "T"]) == ([FacilityKind.GUARANTEE], "")
    assert kinds_for_methods(["Z"]) == ([FacilityKind.GUARANTEE], "")  # importer's individual guarantee
    assert kinds_for_methods(["", " "]) == ([FacilityKind.GUARANTEE, FacilityKind.DEFERMENT], "")
    kinds, reason = kinds_for_methods(["A"])
    assert kinds == [] and "(A) asks for payment" in reason


def test_method_e_is_secured_on_the_deferment_account_and_method_r_on_the_guarantee(
    importer, importer_account, methods
):
    guarantee = facility(importer_account, kind=FacilityKind.GUARANTEE)
    deferment = facility(importer_account, kind=FacilityKind.DEFERMENT)
    methods.add("E")
    deferred = declaration_secure(declaration=charged(lodged(importer), "100.00"), amount=D("100.00"))
    methods.clear()
    methods.add("R")
    guaranteed = declaration_secure(declaration=charged(lodged(importer), "50.00"), amount=D("50.00"))
    assert deferred.security is not None and deferred.security.facility == deferment
    assert guaranteed.security is not None and guaranteed.security.facility == guarantee
    assert money_status(deferred.security.declaration).state is MoneyState.SECURED


def test_nothing_declared_takes_the_guarantee_first_then_the_deferment_account(
    importer, importer_account, methods
):
    guarantee = facility(importer_account, kind=FacilityKind.GUARANTEE, limit="100.00")
    deferment = facility(importer_account, kind=FacilityKind.DEFERMENT, limit="1000.00")
    first = declaration_secure(declaration=lodged(importer), amount=D("80.00"))
    second = declaration_secure(declaration=lodged(importer), amount=D("80.00"))  # the guarantee has 20 left
    assert first.security.facility == guarantee
    assert second.security.facility == deferment


def test_a_cash_payment_method_is_not_secured_and_says_why(importer, importer_account, methods):
    facility(importer_account)
    methods.add("A")
    declaration = lodged(importer)
    result = declaration_secure(declaration=declaration, amount=D("10.00"))
    assert not result.secured and "asks for payment" in result.reason
    assert facilities.security_refusal(declaration) == result.reason


def test_securing_is_idempotent_one_open_security_per_declaration(importer, importer_account, methods):
    guarantee = facility(importer_account)
    declaration = lodged(importer)
    first = declaration_secure(declaration=declaration, amount=D("100.00"))
    again = declaration_secure(declaration=declaration, amount=D("100"))
    assert first.security == again.security
    assert Security.objects.filter(declaration=declaration).count() == 1
    assert facility_headroom(guarantee) == D("900.00")


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        (
            {"status": FacilityStatus.SUSPENDED, "status_reason": "statement of October 2026 overdue"},
            "deferment account DAN1234567 suspended: statement of October 2026 overdue",
        ),
        ({"valid_to": date(2026, 10, 31)}, "deferment account DAN1234567 expired on 2026-10-31"),
        ({"valid_from": date(2026, 12, 1)}, "deferment account DAN1234567 valid only from 2026-12-01"),
        ({"status": FacilityStatus.CLOSED}, "deferment account DAN1234567 closed"),
        ({"limit": D("99.99")}, "deferment account DAN1234567 has 99.99 GBP left, 100.00 GBP needed"),
    ],
)
def test_a_suspended_expired_closed_or_exhausted_account_secures_nothing_and_the_reason_is_told(
    importer, importer_account, methods, fields, said
):
    methods.add("E")
    facility(importer_account, kind=FacilityKind.DEFERMENT, reference="DAN1234567", **fields)
    declaration = charged(lodged(importer), "100.00")
    result = declaration_secure(declaration=declaration, amount=D("100.00"))
    assert result.security is None
    assert result.reason == said
    assert not Security.objects.exists()
    assert money_status(declaration).state is MoneyState.DUE
    event = AuditEvent.objects.get(action="payments.security.refused", object_id=declaration.pk)
    assert event.data["reason"] == said


def test_no_facility_at_all_is_told_too(importer, methods):
    result = declaration_secure(declaration=lodged(importer), amount=D("1.00"))
    assert result.reason == "no guarantee or deferment account"


def test_a_facility_in_another_currency_secures_nothing(importer, importer_account, methods):
    facility(importer_account, currency="EUR")
    assert not declaration_secure(declaration=lodged(importer), amount=D("1.00")).secured


def test_a_reassessment_resizes_the_security_and_a_credit_to_nothing_releases_it(
    importer, importer_account, methods
):
    guarantee = facility(importer_account, limit="500.00")
    declaration = lodged(importer)
    first = declaration_secure(declaration=declaration, amount=D("300.00")).security
    larger = security_resize(declaration=declaration, amount=D("450.00")).security
    assert larger is not None and larger.facility == guarantee and larger.amount == D("450.00")
    first.refresh_from_db()
    assert first.released_reason == ReleaseReason.RESIZED
    assert facility_headroom(guarantee) == D("50.00")
    # More than the guarantee can hold (its own 450 counted as room): the old security stays.
    refused = security_resize(declaration=declaration, amount=D("600.00"))
    assert not refused.secured and "has 500.00 GBP left, 600.00 GBP needed" in refused.reason
    assert Security.objects.get(declaration=declaration, released_at__isnull=True) == larger
    # Smaller is always allowed, even on a suspended guarantee.
    facility_suspend(facility=guarantee, reason="checks")
    smaller = security_resize(declaration=declaration, amount=D("10.00")).security
    assert smaller is not None and smaller.amount == D("10.00")
    assert security_resize(declaration=declaration, amount=D("0")).security is None
    assert not Security.objects.filter(released_at__isnull=True).exists()


def test_security_follows_the_ledger_paid_declarations_release_it(importer, importer_account, methods):
    from payments.ledger import Leg, ledger_account, post, trader_ledger_account
    from payments.models import LedgerAccountKind, TransactionKind

    guarantee = facility(importer_account)
    declaration = charged(lodged(importer), "120.00")
    assert security_sync(declaration=declaration).security.amount == D("120.00")
    post(
        kind=TransactionKind.PAYMENT,
        trader_account=importer_account,
        legs=[
            Leg(ledger_account(LedgerAccountKind.BANK), debit=D("120.00")),
            Leg(trader_ledger_account(importer_account), credit=D("120.00"), declaration_id=declaration.pk),
        ],
    )
    assert security_sync(declaration=declaration).security is None
    released = Security.objects.get(declaration=declaration)
    assert released.released_reason == ReleaseReason.PAID
    assert facility_headroom(guarantee) == D("1000.00")
    assert money_status(declaration).state is MoneyState.PAID
    assert security_release(declaration=declaration, reason=ReleaseReason.PAID) is None  # once


def test_passing_80_percent_use_sends_one_notice_to_the_trader_account(
    importer, importer_account, methods, mailoutbox
):
    from accounts.models import User

    User.objects.filter(pk=importer.pk).update(email="importer@example.com")
    guarantee = facility(importer_account, limit="1000.00")
    declaration_secure(declaration=lodged(importer), amount=D("700.00"))
    assert not OutboxMessage.objects.filter(topic=facilities.TOPIC_FACILITY_NOTICE).exists()
    declaration_secure(declaration=lodged(importer), amount=D("150.00"))
    declaration_secure(declaration=lodged(importer), amount=D("100.00"))
    notices = OutboxMessage.objects.filter(topic=facilities.TOPIC_FACILITY_NOTICE)
    assert notices.count() == 1
    assert notices.get().payload["message"] == (
        f"guarantee {guarantee.reference} is 85 % used: 150.00 GBP left of 1,000.00 GBP."
    )
    assert AuditEvent.objects.filter(action="payments.facility.headroom_low").count() == 1


def test_the_trader_accounts_facilities_are_listed_with_limit_used_and_headroom_in_one_query(
    importer, importer_account, methods, django_assert_num_queries
):
    guarantee = facility(importer_account, limit="1000.00")
    facility(importer_account, kind=FacilityKind.DEFERMENT, limit="5000.00", status=FacilityStatus.SUSPENDED)
    declaration_secure(declaration=lodged(importer), amount=D("250.00"))
    with django_assert_num_queries(1):
        listed = facilities_for(importer_account)
        rows = [(u.facility.kind, u.limit, u.used, u.headroom, u.usable, u.percent_used) for u in listed]
    assert rows == [
        (FacilityKind.DEFERMENT, D("5000"), D("0"), D("5000"), False, 0),
        (FacilityKind.GUARANTEE, D("1000"), D("250"), D("750"), True, 25),
    ]
    with django_assert_num_queries(1):
        assert facility_headroom(guarantee) == D("750.00")


def test_a_settled_payment_of_a_guaranteed_declaration_releases_its_security(
    importer, importer_account, methods, django_capture_on_commit_callbacks
):
    from payments.models import PaymentMethod
    from payments.payments import payment_settle, payment_start

    guarantee = facility(importer_account, limit="500.00")
    declaration = charged(lodged(importer), "120.00")
    security_sync(declaration=declaration)
    assert facility_headroom(guarantee) == D("380.00")
    payment = payment_start(
        user=importer,
        trader_account=importer_account,
        allocations=[(declaration, D("120.00"))],
        method=PaymentMethod.BANK_TRANSFER,
    )
    with django_capture_on_commit_callbacks(execute=True):
        payment_settle(payment_id=payment.pk, provider_reference="BACS-9", amount=D("120.00"))
    assert Security.objects.get(declaration=declaration).released_reason == ReleaseReason.PAID
    assert facility_headroom(guarantee) == D("500.00")


def test_a_notice_is_mailed_to_the_active_members_of_the_trader_account(
    importer, importer_account, methods, mailoutbox, django_capture_on_commit_callbacks
):
    from accounts.access import account_add_member
    from accounts.models import User
    from tests.factories import UserFactory

    User.objects.filter(pk=importer.pk).update(email="importer@example.com")
    gone = UserFactory(username="gone", role="trader", email="gone@example.com", is_active=False)
    account_add_member(account=importer_account, user=gone)
    guarantee = facility(importer_account, reference="GUA5555555")
    with django_capture_on_commit_callbacks(execute=True):
        facility_suspend(facility=guarantee, reason="checks pending")
    assert [m.to for m in mailoutbox] == [["importer@example.com"]]
    assert mailoutbox[0].subject == "Payment facility GUA5555555"
    assert "guarantee GUA5555555 is suspended: checks pending" in mailoutbox[0].body
