"""Monthly statements of deferred-payment accounts: generated, overdue, paid.

``statement_generate(facility=, period=)`` lists, for one deferment account and one calendar
month, every charge, adjustment and reversal of a charge booked on the trader account in that
month for a declaration whose charges the account still secures when the statement is made (an
open ``Security`` on it): one ``StatementLine`` per ledger transaction and declaration, due on the
``SW_STATEMENT_DUE_DAY`` of the next month. A declaration paid by itself meanwhile has no open
security and is not billed again. Running it twice gives one statement (a unique facility and
period, and the facility's row lock); a charge is billed once (a unique transaction and
declaration). A statement whose lines add up to nothing or to a credit is paid when made.

``statements_mark_overdue`` (daily) marks open statements past their due day overdue and suspends
their facility (``SuspensionCause.STATEMENT_OVERDUE``). ``statement_settle`` marks a statement
paid, fits its declarations' securities to what they still owe (released when nothing) and
reactivates the facility when no other statement of it is overdue.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import TraderAccount
from declarations.models import Declaration
from singlewindow.audit import audit_log
from singlewindow.errors import DomainError

from .facilities import (
    ZERO,
    facility_label,
    facility_notice,
    facility_reactivate,
    facility_suspend,
    money_text,
)
from .facilities import security_sync as _security_sync
from .models import (
    Entry,
    Facility,
    FacilityKind,
    LedgerAccountKind,
    ReleaseReason,
    Security,
    Statement,
    StatementLine,
    StatementStatus,
    SuspensionCause,
    TransactionKind,
)
from .money import quantize

BILLED_KINDS = (TransactionKind.CHARGE, TransactionKind.ADJUSTMENT)


class StatementError(DomainError):
    """A statement the service refuses to make or to pay."""


@dataclass(frozen=True)
class Period:
    """A calendar month: ``start`` its first day, ``end`` its last (inclusive)."""

    start: date
    end: date

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))

    @classmethod
    def containing(cls, day: date) -> Period:
        return cls.month(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2026-11`` → November 2026."""
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"not a month (YYYY-MM): {text!r}")
        return cls.month(int(match.group(1)), int(match.group(2)))

    @property
    def previous(self) -> Period:
        return Period.containing(self.start - timedelta(days=1))

    @property
    def next(self) -> Period:
        return Period.containing(self.end + timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.start:%Y-%m}"


def due_date(period: Period) -> date:
    """The ``SW_STATEMENT_DUE_DAY`` of the month after ``period`` (its last day if shorter)."""
    following = period.next
    day = min(max(1, int(settings.SW_STATEMENT_DUE_DAY)), following.end.day)
    return following.start.replace(day=day)


def month_label(day: date) -> str:
    """ "October 2026", in the active language."""
    return date_format(day, "F Y")


def _as_period(period: Period | date | str) -> Period:
    if isinstance(period, Period):
        return period
    if isinstance(period, date):
        return Period.containing(period)
    return Period.parse(period)


def _billable_entries(facility: Facility, period: Period) -> QuerySet[Entry]:
    """The trader-account entries of the month the facility still secures, not billed before."""
    secured = Security.objects.filter(facility=facility, released_at__isnull=True).values("declaration_id")
    billed = StatementLine.objects.filter(
        ledger_transaction_id=OuterRef("transaction_id"), declaration_id=OuterRef("declaration_id")
    )
    return (
        Entry.objects.filter(
            account__kind=LedgerAccountKind.TRADER,
            account__trader_account_id=facility.trader_account_id,
            currency=facility.currency,
            declaration_id__in=secured,
            transaction__booked_on__gte=period.start,
            transaction__booked_on__lte=period.end,
        )
        .filter(
            Q(transaction__kind__in=BILLED_KINDS)
            | Q(transaction__kind=TransactionKind.REVERSAL, transaction__reverses__kind__in=BILLED_KINDS)
        )
        .exclude(Exists(billed))
    )


@transaction.atomic
def statement_generate(
    *, facility: Facility, period: Period | date | str, actor: Any = None
) -> Statement | None:
    """The facility's statement of ``period`` (a month), made once; None when nothing is billable.

    Refuses a month not over yet (its later charges could never be billed) and a facility that is
    not a deferment account. Side effects on first generation: the statement, its lines, the audit
    event ``payments.statement.generated`` and a notice to the trader account.
    """
    period = _as_period(period)
    if facility.kind != FacilityKind.DEFERMENT:
        raise StatementError("statement_not_deferment", _("Only deferment accounts have statements."))
    if period.end >= timezone.localdate():
        raise StatementError(
            "statement_month_open",
            _("The statement of %(month)s can be made once the month is over.") % {"month": period},
        )
    # Two runs at once (two beats, the command and the beat) wait here; the second finds the first's.
    locked = Facility.objects.select_for_update(of=("self",)).get(pk=facility.pk)
    existing = Statement.objects.filter(facility=locked, period_start=period.start).first()
    if existing is not None:
        return existing
    rows = list(
        _billable_entries(locked, period)
        .values("transaction_id", "declaration_id", "transaction__booked_on")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .order_by("transaction__booked_on", "transaction_id", "declaration_id")
    )
    if not rows:
        return None
    due_on = due_date(period)
    now = timezone.now()
    lines = [
        StatementLine(
            declaration_id=row["declaration_id"],
            ledger_transaction_id=row["transaction_id"],
            amount=Decimal(row["debit"]) - Decimal(row["credit"]),
            charged_on=row["transaction__booked_on"],
            due_on=due_on,
        )
        for row in rows
    ]
    total = quantize(sum((line.amount for line in lines), ZERO), locked.currency)
    nothing_to_pay = total <= 0
    statement = Statement.objects.create(
        facility=locked,
        period_start=period.start,
        period_end=period.end,
        due_on=due_on,
        total=total,
        currency=locked.currency,
        status=StatementStatus.PAID if nothing_to_pay else StatementStatus.OPEN,
        generated_at=now,
        paid_at=now if nothing_to_pay else None,
    )
    for line in lines:
        line.statement = statement
    StatementLine.objects.bulk_create(lines)
    audit_log(
        action="payments.statement.generated",
        obj=statement,
        actor=actor,
        data={
            "facility": locked.reference,
            "period": str(period),
            "lines": len(lines),
            "total": str(total),
            "currency": locked.currency,
            "due_on": due_on.isoformat(),
        },
    )
    if not nothing_to_pay:
        facility_notice(
            facility=locked,
            kind="statement",
            message=_("Statement of %(month)s for %(facility)s: %(total)s due on %(day)s.")
            % {
                "month": month_label(period.start),
                "facility": facility_label(locked),
                "total": money_text(total, locked.currency),
                "day": date_format(due_on, "j F Y"),
            },
        )
    return statement


def statements_generate(*, period: Period | date | str, actor: Any = None) -> list[Statement]:
    """Every deferment account's statement of ``period`` (each in its own transaction)."""
    period = _as_period(period)
    made: list[Statement] = []
    for facility in Facility.objects.filter(kind=FacilityKind.DEFERMENT).order_by("pk"):
        statement = statement_generate(facility=facility, period=period, actor=actor)
        if statement is not None:
            made.append(statement)
    return made


def statement_overdue_reason(statement: Statement) -> str:
    return _("statement of %(month)s overdue") % {"month": month_label(statement.period_start)}


def statements_mark_overdue(*, today: date | None = None) -> list[Statement]:
    """Mark open statements past their due day overdue and suspend their facilities (daily job)."""
    today = today or timezone.localdate()
    marked: list[Statement] = []
    due = Statement.objects.filter(status=StatementStatus.OPEN, due_on__lt=today).select_related("facility")
    for statement in due.order_by("due_on", "pk"):
        if _nothing_owed(statement):
            # Everything on it was paid by itself or credited (a cancellation): settled, not overdue.
            statement_settle(statement=statement)
            continue
        with transaction.atomic():
            changed = Statement.objects.filter(pk=statement.pk, status=StatementStatus.OPEN).update(
                status=StatementStatus.OVERDUE
            )
            if not changed:
                continue  # paid (or marked) meanwhile
            statement.status = StatementStatus.OVERDUE
            audit_log(
                action="payments.statement.overdue",
                obj=statement,
                actor=None,
                data={"facility": statement.facility.reference, "due_on": statement.due_on.isoformat()},
            )
            facility_suspend(
                facility=statement.facility,
                reason=statement_overdue_reason(statement),
                cause=SuspensionCause.STATEMENT_OVERDUE,
            )
        marked.append(statement)
    return marked


def _nothing_owed(statement: Statement) -> bool:
    """Whether none of the statement's declarations owes anything any more (one query)."""
    from .payments import outstanding_by_declaration

    ids = list(statement.lines.values_list("declaration_id", flat=True).distinct())
    return all(amount <= 0 for amount in outstanding_by_declaration(ids, statement.currency).values())


def statement_allocations(statement: Statement) -> list[tuple[Declaration, Decimal]]:
    """What paying the statement pays for each of its declarations (its lines' sum, when positive)."""
    per_declaration: dict[int, Decimal] = defaultdict(lambda: ZERO)
    declarations: dict[int, Declaration] = {}
    for line in statement.lines.select_related("declaration").order_by("declaration_id", "pk"):
        per_declaration[line.declaration_id] += Decimal(line.amount)
        declarations[line.declaration_id] = line.declaration
    return [
        (declarations[pk], quantize(amount, statement.currency))
        for pk, amount in per_declaration.items()
        if amount > 0
    ]


def statement_settle(*, statement: Statement, actor: Any = None) -> Statement:
    """Mark the statement paid (once), fit its declarations' securities to what they still owe and
    reactivate the facility when it was suspended for an overdue statement and none is left.

    Called when the payment of the statement settles. Side effects: status and ``paid_at``, the
    audit event ``payments.statement.paid``, securities released (``statement_paid``) or resized,
    the facility reactivated (audit, notice).
    """
    with transaction.atomic():
        locked = (
            Statement.objects.select_for_update(of=("self",)).select_related("facility").get(pk=statement.pk)
        )
        if locked.status == StatementStatus.PAID:
            return locked
        was = locked.status
        locked.status, locked.paid_at = StatementStatus.PAID, timezone.now()
        locked.save(update_fields=["status", "paid_at"])
        audit_log(
            action="payments.statement.paid",
            obj=locked,
            actor=actor,
            data={"before": was, "total": str(locked.total), "currency": locked.currency},
        )
        for declaration in Declaration.objects.filter(pk__in=locked.lines.values("declaration_id")).order_by(
            "pk"
        ):
            _security_sync(declaration=declaration, reason=ReleaseReason.STATEMENT_PAID, actor=actor)
        facility = locked.facility
        still_overdue = Statement.objects.filter(facility=facility, status=StatementStatus.OVERDUE).exists()
        if not still_overdue:
            facility_reactivate(facility=facility, actor=actor, only_cause=SuspensionCause.STATEMENT_OVERDUE)
    statement.status, statement.paid_at = locked.status, locked.paid_at
    return locked


def statements_settle_after_payment(*, payment_id: int, declaration_ids: list[int]) -> int:
    """What a settled payment changes here (idempotent): the statements it paid are settled, then
    every declaration it paid has its security fitted to what it still owes (released as ``paid``
    when nothing). Returns the number of statements settled."""
    settled = statements_settled_by(declaration_ids=declaration_ids, payment_id=payment_id)
    for declaration in Declaration.objects.filter(pk__in=declaration_ids).order_by("pk"):
        _security_sync(declaration=declaration, reason=ReleaseReason.PAID)
    return len(settled)


def statement_payable(statement: Statement) -> list[tuple[Declaration, Decimal]]:
    """What one payment of the statement allocates per declaration: its lines' sum, at most what the
    declaration still owes (a part paid by itself meanwhile is not asked again); none when nothing."""
    from .payments import outstanding_by_declaration

    wanted = statement_allocations(statement)
    owed = outstanding_by_declaration([d.pk for d, _amount in wanted], statement.currency)
    return [
        (declaration, min(amount, quantize(owed[declaration.pk], statement.currency)))
        for declaration, amount in wanted
        if owed[declaration.pk] > 0
    ]


def statement_pay_start(*, statement: Statement, user: Any, method: str, return_url: str = "") -> Any:
    """Start ONE payment of the statement through the payment flow, allocated over its declarations.

    Refuses a statement already paid or with nothing left to pay (``StatementError``); the payment
    flow's own refusals (``PaymentError``) pass through. Records the payment on the statement, so
    its settlement marks the statement paid. Call outside a transaction (a card payment opens its
    checkout at the provider after the payment is committed).
    """
    from .payments import payment_start

    if statement.status == StatementStatus.PAID:
        raise StatementError("statement_paid", _("This statement is paid already."))
    allocations = statement_payable(statement)
    if not allocations:
        raise StatementError(
            "statement_nothing_to_pay",
            _("Nothing is left to pay on this statement: it is settled when booked."),
        )
    payment = payment_start(
        user=user,
        trader_account=statement.facility.trader_account,
        allocations=allocations,
        method=method,
        return_url=return_url,
    )
    Statement.objects.filter(pk=statement.pk).exclude(status=StatementStatus.PAID).update(
        payment_id=payment.pk
    )
    statement.payment_id = payment.pk
    return payment


def statements_settled_by(*, declaration_ids: list[int], payment_id: int | None = None) -> list[Statement]:
    """Settle the unpaid statements a settled payment paid: the ones it was started for, and any
    whose declarations now owe nothing at all."""

    candidates = (
        Statement.objects.exclude(status=StatementStatus.PAID)
        .filter(
            Q(lines__declaration_id__in=declaration_ids)
            | (Q(payment_id=payment_id) if payment_id else Q(pk__in=[]))
        )
        .distinct()
    )
    settled: list[Statement] = []
    for statement in candidates.order_by("pk"):
        paid_for = payment_id is not None and statement.payment_id == payment_id
        if paid_for or _nothing_owed(statement):
            settled.append(statement_settle(statement=statement))
    return settled


# Selectors ----------------------------------------------------------------------------------------


def statements_for(trader_account: TraderAccount) -> QuerySet[Statement]:
    """The trader account's statements, newest month first, with their facility (one query)."""
    return (
        Statement.objects.filter(facility__trader_account=trader_account)
        .select_related("facility")
        .order_by("-period_start", "facility__reference")
    )


def statement_with_lines(statement_id: int) -> Statement | None:
    """One statement with its facility and lines (and each line's declaration): three queries."""
    return (
        Statement.objects.filter(pk=statement_id)
        .select_related("facility", "facility__trader_account")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=StatementLine.objects.select_related("declaration", "ledger_transaction").order_by(
                    "charged_on", "pk"
                ),
            )
        )
        .first()
    )


def outstanding_statements_total(trader_account: TraderAccount) -> Decimal:
    total = Statement.objects.filter(
        facility__trader_account=trader_account,
        status__in=[StatementStatus.OPEN, StatementStatus.OVERDUE],
    ).aggregate(total=Sum("total"))["total"]
    return Decimal(total or 0)
