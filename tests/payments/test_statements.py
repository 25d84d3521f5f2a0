"""Monthly statements of deferment accounts: complete, made once, overdue suspends, paying reactivates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from payments import facilities
from payments.charges import declaration_charge
from payments.facilities import declaration_secure, facility_headroom
from payments.ledger import Leg, ledger_account, post, reverse, trader_ledger_account
from payments.models import (
    FacilityKind,
    FacilityStatus,
    LedgerAccountKind,
    ReleaseReason,
    Security,
    Statement,
    StatementLine,
    StatementStatus,
    TransactionKind,
)
from payments.statements import (
    Period,
    StatementError,
    due_date,
    statement_allocations,
    statement_generate,
    statement_settle,
    statements_for,
    statements_mark_overdue,
    statements_settled_by,
)
from singlewindow.models import AuditEvent
from tests.payments.facilities_support import charged, facility, lodged

pytestmark = pytest.mark.django_db

D = Decimal
OCTOBER = Period.month(2026, 10)


@pytest.fixture(autouse=True)
def _methods(monkeypatch):
    monkeypatch.setattr(facilities, "declared_methods", lambda declaration: {"E"})


@pytest.fixture
def deferment(importer_account):
    return facility(importer_account, kind=FacilityKind.DEFERMENT, reference="DAN1234567", limit="10000.00")


def _deferred(user, amount: str, *, on: str):
    """A declaration charged ``amount`` on day ``on`` and secured on the deferment account."""
    with time_machine.travel(date.fromisoformat(on), tick=False):
        declaration = charged(lodged(user), amount)
        assert declaration_secure(declaration=declaration, amount=D(amount)).secured
    return declaration


def _pay(account, declaration, amount: str) -> None:
    post(
        kind=TransactionKind.PAYMENT,
        trader_account=account,
        legs=[
            Leg(ledger_account(LedgerAccountKind.BANK), debit=D(amount)),
            Leg(trader_ledger_account(account), credit=D(amount), declaration_id=declaration.pk),
        ],
    )


def test_the_due_date_is_the_configured_day_of_the_next_month(settings):
    assert due_date(OCTOBER) == date(2026, 11, 15)
    settings.SW_STATEMENT_DUE_DAY = 28
    assert due_date(Period.month(2026, 12)) == date(2027, 1, 28)
    assert Period.parse("2026-11") == Period(date(2026, 11, 1), date(2026, 11, 30))
    with pytest.raises(ValueError):
        Period.parse("2026-13")


def test_a_statement_lists_every_secured_charge_of_the_month_and_nothing_else(
    importer, importer_account, deferment, monkeypatch
):
    first = _deferred(importer, "100.00", on="2026-10-01")
    second = _deferred(importer, "250.50", on="2026-10-31")
    with time_machine.travel(date(2026, 10, 20), tick=False):  # a re-assessment in the month
        declaration_charge(declaration=first, amounts={"A00": D("-10.00")}, kind=TransactionKind.ADJUSTMENT)
    september = _deferred(importer, "40.00", on="2026-09-30")  # another month
    november = _deferred(importer, "60.00", on="2026-11-01")  # another month
    paid_alone = _deferred(importer, "70.00", on="2026-10-05")  # paid by itself: not deferred any more
    with time_machine.travel(date(2026, 10, 6), tick=False):
        _pay(importer_account, paid_alone, "70.00")
        facilities.security_sync(declaration=paid_alone)
    guarantee = facility(importer_account, kind=FacilityKind.GUARANTEE)
    monkeypatch.setattr(facilities, "declared_methods", lambda declaration: {"R"})
    with time_machine.travel(date(2026, 10, 7), tick=False):  # on the guarantee, not the account
        on_guarantee = charged(lodged(importer), "80.00")
        assert declaration_secure(declaration=on_guarantee, amount=D("80.00")).security.facility == guarantee

    with time_machine.travel(date(2026, 11, 1), tick=False):
        statement = statement_generate(facility=deferment, period=OCTOBER)
    assert statement is not None
    lines = [(line.declaration_id, line.amount, line.charged_on) for line in statement.lines.all()]
    assert lines == [
        (first.pk, D("100.00"), date(2026, 10, 1)),
        (first.pk, D("-10.00"), date(2026, 10, 20)),
        (second.pk, D("250.50"), date(2026, 10, 31)),
    ]
    assert statement.total == D("340.50") and statement.currency == "GBP"
    assert statement.due_on == date(2026, 11, 15)
    assert {line.due_on for line in statement.lines.all()} == {date(2026, 11, 15)}
    assert statement.status == StatementStatus.OPEN
    assert not {september.pk, november.pk, paid_alone.pk, on_guarantee.pk} & {pk for pk, _a, _d in lines}
    assert AuditEvent.objects.filter(action="payments.statement.generated", object_id=statement.pk).exists()


def test_generating_twice_gives_one_statement_and_bills_each_charge_once(importer, deferment):
    _deferred(importer, "100.00", on="2026-10-10")
    with time_machine.travel(date(2026, 11, 1), tick=False):
        first = statement_generate(facility=deferment, period=OCTOBER)
        again = statement_generate(facility=deferment, period=date(2026, 10, 31))
        call_command("statements_generate", "--month", "2026-10")
    assert first == again
    assert Statement.objects.count() == 1 and StatementLine.objects.count() == 1


def test_a_month_not_over_or_a_guarantee_has_no_statement(importer_account, deferment):
    with time_machine.travel(date(2026, 10, 31), tick=False), pytest.raises(StatementError) as refused:
        statement_generate(facility=deferment, period=OCTOBER)
    assert refused.value.code == "statement_month_open"
    with time_machine.travel(date(2026, 11, 1), tick=False), pytest.raises(StatementError):
        statement_generate(facility=facility(importer_account), period=OCTOBER)
    with time_machine.travel(date(2026, 11, 1), tick=False):
        assert statement_generate(facility=deferment, period=OCTOBER) is None  # nothing charged


def test_the_monthly_beat_job_makes_last_months_statements(importer, deferment):
    from payments.statement_tasks import statements_generate_monthly

    _deferred(importer, "12.00", on="2026-10-10")
    with time_machine.travel(date(2026, 11, 1), tick=False):
        assert statements_generate_monthly.delay().get() == 1
    assert Statement.objects.get().period_start == date(2026, 10, 1)


def test_a_cancelled_charge_reversed_in_the_month_nets_to_nothing_to_pay(importer, deferment):
    declaration = _deferred(importer, "30.00", on="2026-10-02")
    charge = declaration.ledger_entries.first().transaction
    with time_machine.travel(date(2026, 10, 3), tick=False):
        reverse(txn=charge)
    with time_machine.travel(date(2026, 11, 1), tick=False):
        statement = statement_generate(facility=deferment, period=OCTOBER)
    assert [line.amount for line in statement.lines.all()] == [D("30.00"), D("-30.00")]
    assert statement.total == 0 and statement.status == StatementStatus.PAID


def test_an_overdue_statement_suspends_the_account_and_paying_it_reactivates_it(
    importer, importer_account, deferment
):
    declaration = _deferred(importer, "500.00", on="2026-10-10")
    with time_machine.travel(date(2026, 11, 1), tick=False):
        statement = statement_generate(facility=deferment, period=OCTOBER)
    with time_machine.travel(date(2026, 11, 15), tick=False):
        assert statements_mark_overdue() == []  # due today: not overdue yet
    with time_machine.travel(date(2026, 11, 16), tick=False):
        assert statements_mark_overdue() == [statement]
        assert statements_mark_overdue() == []  # once
    deferment.refresh_from_db()
    assert deferment.status == FacilityStatus.SUSPENDED
    assert deferment.status_reason == "statement of October 2026 overdue"
    refused = declaration_secure(declaration=charged(lodged(importer), "1.00"), amount=D("1.00"))
    assert refused.reason == "deferment account DAN1234567 suspended: statement of October 2026 overdue"

    assert statement_allocations(statement) == [(declaration, D("500.00"))]
    _pay(importer_account, declaration, "500.00")
    settled = statements_settled_by(declaration_ids=[declaration.pk])
    assert [s.pk for s in settled] == [statement.pk]
    statement.refresh_from_db()
    deferment.refresh_from_db()
    assert statement.status == StatementStatus.PAID and statement.paid_at is not None
    assert deferment.status == FacilityStatus.ACTIVE and deferment.status_reason == ""
    assert Security.objects.get(declaration=declaration).released_reason == ReleaseReason.STATEMENT_PAID
    assert facility_headroom(deferment) == D("10000.00")
    assert statement_settle(statement=statement) == statement  # once
    actions = set(AuditEvent.objects.filter(action__startswith="payments.").values_list("action", flat=True))
    assert {"payments.statement.overdue", "payments.facility.suspended", "payments.statement.paid"} <= actions
    assert "payments.facility.reactivated" in actions


def test_paying_one_of_two_overdue_statements_keeps_the_account_suspended(
    importer, importer_account, deferment
):
    october = _deferred(importer, "10.00", on="2026-10-10")
    _deferred(importer, "20.00", on="2026-11-10")
    with time_machine.travel(date(2026, 12, 1), tick=False):
        first = statement_generate(facility=deferment, period=OCTOBER)
        statement_generate(facility=deferment, period=Period.month(2026, 11))
    with time_machine.travel(date(2027, 1, 2), tick=False):
        assert len(statements_mark_overdue()) == 2
    _pay(importer_account, october, "10.00")
    statement_settle(statement=first)
    deferment.refresh_from_db()
    assert deferment.status == FacilityStatus.SUSPENDED


def test_an_administrators_suspension_is_not_lifted_by_paying_a_statement(
    importer, importer_account, deferment
):
    declaration = _deferred(importer, "10.00", on="2026-10-10")
    with time_machine.travel(date(2026, 11, 1), tick=False):
        statement = statement_generate(facility=deferment, period=OCTOBER)
    facilities.facility_suspend(facility=deferment, reason="under review")
    _pay(importer_account, declaration, "10.00")
    statement_settle(statement=statement)
    deferment.refresh_from_db()
    assert deferment.status == FacilityStatus.SUSPENDED and deferment.status_reason == "under review"


def test_the_trader_accounts_statements_are_listed_in_one_query(
    importer, importer_account, deferment, django_assert_num_queries
):
    _deferred(importer, "10.00", on="2026-09-10")
    _deferred(importer, "10.00", on="2026-10-10")
    with time_machine.travel(date(2026, 11, 1), tick=False):
        statement_generate(facility=deferment, period=Period.month(2026, 9))
        statement_generate(facility=deferment, period=OCTOBER)
    with django_assert_num_queries(1):
        listed = [(s.period_start, s.facility.reference) for s in statements_for(importer_account)]
    assert listed == [(date(2026, 10, 1), "DAN1234567"), (date(2026, 9, 1), "DAN1234567")]


def test_the_beat_schedule_runs_the_monthly_statements_and_the_daily_overdue_job(settings):
    from celery.schedules import crontab

    from singlewindow.celery import app

    monthly = settings.CELERY_BEAT_SCHEDULE["statements-generate"]
    daily = settings.CELERY_BEAT_SCHEDULE["statements-overdue"]
    assert monthly["task"] in app.tasks and daily["task"] in app.tasks
    assert monthly["schedule"] == crontab(minute=15, hour=0, day_of_month=1)
    assert daily["schedule"] == crontab(minute=30, hour=0)


def test_a_statement_whose_declarations_owe_nothing_any_more_is_settled_not_made_overdue(
    importer, importer_account, deferment
):
    declaration = _deferred(importer, "40.00", on="2026-10-10")
    with time_machine.travel(date(2026, 11, 1), tick=False):
        statement = statement_generate(facility=deferment, period=OCTOBER)
    with time_machine.travel(date(2026, 11, 3), tick=False):  # cancelled: the charge credited back
        declaration_charge(
            declaration=declaration, amounts={"A00": D("-40.00")}, kind=TransactionKind.ADJUSTMENT
        )
    with time_machine.travel(date(2026, 11, 16), tick=False):
        assert statements_mark_overdue() == []
    statement.refresh_from_db()
    deferment.refresh_from_db()
    assert statement.status == StatementStatus.PAID
    assert deferment.status == FacilityStatus.ACTIVE
