"""Permission-scoped reads of the ledger: a trader account's entries with their running balance,
its declarations with their money status, monthly totals for its chart;
and customs' view of revenue, money received and outstanding debts.

Every read is a fixed number of queries whatever the number of rows (the pages' tests pin them).
Balances are sums of entries (``payments.ledger``); nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    DecimalField,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.expressions import RowRange
from django.db.models.functions import Coalesce, TruncMonth
from django.http import Http404

from accounts.access import accounts_actable
from accounts.models import Role, TraderAccount, User
from declarations.models import Declaration, Status
from declarations.selectors import declarations_visible_to

from .models import Entry, LedgerAccountKind, Security, TransactionKind
from .money import home_currency, quantize
from .status import MoneyStatus, money_state

ZERO = Decimal(0)
AMOUNT: DecimalField[Decimal, Decimal] = DecimalField(max_digits=20, decimal_places=3)
# What the chart counts as charged: charges and the adjustments that raised them.
CHARGE_KINDS = (TransactionKind.CHARGE, TransactionKind.ADJUSTMENT)


# --- Who sees which account -------------------------------------------------------------------


def sees_every_account(user: User) -> bool:
    """Supervisors, administrators and cashiers: customs staff who work on any trader's money."""
    role = user.role
    return role in (Role.SUPERVISOR, Role.ADMIN, Role.CASHIER)


def sees_revenue(user: User) -> bool:
    """Who sees the revenue pages: the same customs staff."""
    return user.is_authenticated and user.is_active and sees_every_account(user)


def access_trader_account(user: User, account_id: int) -> TraderAccount:
    """The trader account if the user may see its money; 404 for missing and not-yours alike.

    Members of the account and the brokers authorised to represent it (``accounts_actable``: active
    accounts only); customs staff who work on money (``sees_every_account``) any account.
    """
    if not user.is_authenticated or not user.is_active:
        raise Http404("No such account.")
    visible = TraderAccount.objects.all() if sees_every_account(user) else accounts_actable(user)
    try:
        return visible.get(pk=account_id)
    except TraderAccount.DoesNotExist:
        raise Http404("No such account.") from None


# --- The ledger of one account ----------------------------------------------------------------


@dataclass(frozen=True)
class LedgerFilter:
    date_from: date | None = None
    date_to: date | None = None
    kind: str = ""


@dataclass(frozen=True)
class LedgerRow:
    """One entry on the trader's account, as the page, the CSV and the API show it."""

    entry_id: int
    transaction_id: int
    booked_on: date
    due_on: date | None
    kind: str
    reference: str
    memo: str
    mrn: str
    declaration_id: int | None
    debit: Decimal
    credit: Decimal
    balance: Decimal
    currency: str

    @property
    def kind_label(self) -> str:
        return str(TransactionKind(self.kind).label)

    @property
    def description(self) -> str:
        return self.memo or self.kind_label


LEDGER_FIELDS = (
    "pk",
    "transaction_id",
    "booked_on",
    "due_on",
    "kind",
    "reference",
    "memo",
    "mrn",
    "declaration_id",
    "debit",
    "credit",
    "running_balance",
    "currency",
)


def ledger_entries(
    account: TraderAccount, filters: LedgerFilter | None = None, currency: str = ""
) -> QuerySet[Entry, dict[str, Any]]:
    """The entries on the account's trader ledger account, newest first, as dicts of ``LEDGER_FIELDS``.

    ``running_balance`` is the account's balance after the entry, summed by a window function in
    the order the entries were booked (day, transaction, entry: a stable order) over *every* entry
    of the account, whatever the filters keep: it is the same on page 2 as when reading from the
    first entry. One query per page (and one to count).

    The date-from and kind filters must not remove rows before the window sums them, so they filter
    window columns: Django applies a condition on a window to the windowed rows (an outer query,
    its emulation of SQL's QUALIFY). Rows after ``date_to`` never count in an earlier row's balance,
    so that filter is an ordinary WHERE.
    """
    filters = filters or LedgerFilter()
    booked = [F("transaction__booked_on").asc(), F("transaction_id").asc(), F("pk").asc()]
    entries = Entry.objects.filter(
        account__kind=LedgerAccountKind.TRADER,
        account__trader_account=account,
        currency=(currency or home_currency()).upper(),
    )
    if filters.date_to:
        entries = entries.filter(transaction__booked_on__lte=filters.date_to)
    entries = entries.annotate(
        booked_on=F("transaction__booked_on"),
        due_on=F("transaction__due_on"),
        kind=F("transaction__kind"),
        reference=F("transaction__reference"),
        memo=F("transaction__memo"),
        mrn=Coalesce(F("declaration__mrn"), Value("")),
        running_balance=Window(
            Sum(F("debit") - F("credit"), output_field=AMOUNT),
            order_by=booked,
            frame=RowRange(start=None, end=0),
        ),
    )
    if filters.date_from or filters.kind:
        # The same value as the row's own column, but computed after the WHERE: see above.
        each_row = [F("pk")]
        entries = entries.annotate(
            qualify_booked_on=Window(Max("transaction__booked_on"), partition_by=each_row),
            qualify_kind=Window(Max("transaction__kind"), partition_by=each_row),
        )
        if filters.date_from:
            entries = entries.filter(qualify_booked_on__gte=filters.date_from)
        if filters.kind:
            entries = entries.filter(qualify_kind=filters.kind)
    return entries.order_by("-transaction__booked_on", "-transaction_id", "-pk").values(*LEDGER_FIELDS)


def ledger_row(values: dict[str, Any]) -> LedgerRow:
    """A row of ``ledger_entries`` with its amounts rounded to the currency (the database keeps 3 places)."""
    currency = values["currency"]
    return LedgerRow(
        entry_id=values["pk"],
        transaction_id=values["transaction_id"],
        booked_on=values["booked_on"],
        due_on=values["due_on"],
        kind=values["kind"],
        reference=values["reference"],
        memo=values["memo"],
        mrn=values["mrn"] or "",
        declaration_id=values["declaration_id"],
        debit=quantize(values["debit"], currency),
        credit=quantize(values["credit"], currency),
        balance=quantize(values["running_balance"] or ZERO, currency),
        currency=currency,
    )


def ledger_rows(values: Iterable[dict[str, Any]]) -> Iterator[LedgerRow]:
    return (ledger_row(v) for v in values)


# --- Monthly charges and payments (the chart) -------------------------------------------------


@dataclass(frozen=True)
class MonthTotals:
    month: date  # the first day
    charged: Decimal
    paid: Decimal


def months_back(today: date, count: int) -> list[date]:
    """The first days of the ``count`` months ending with ``today``'s, oldest first."""
    year, month = today.year, today.month
    firsts = []
    for _ in range(count):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def monthly_charges_and_payments(
    account: TraderAccount, *, today: date, months: int = 12, currency: str = ""
) -> list[MonthTotals]:
    """Per month of the last ``months`` (this one included): what was charged to the account
    (debits of charges and adjustments) and what it paid (credits of payments). One query."""
    currency = (currency or home_currency()).upper()
    firsts = months_back(today, months)
    totals = (
        Entry.objects.filter(
            account__kind=LedgerAccountKind.TRADER,
            account__trader_account=account,
            currency=currency,
            transaction__booked_on__gte=firsts[0],
            transaction__booked_on__lte=today,
        )
        .annotate(month=TruncMonth("transaction__booked_on"))
        .values("month")
        .annotate(
            charged=Coalesce(
                Sum("debit", filter=Q(transaction__kind__in=CHARGE_KINDS)), Value(ZERO), output_field=AMOUNT
            ),
            paid=Coalesce(
                Sum("credit", filter=Q(transaction__kind=TransactionKind.PAYMENT)),
                Value(ZERO),
                output_field=AMOUNT,
            ),
        )
        .order_by("month")
    )
    by_month = {row["month"]: row for row in totals}
    return [
        MonthTotals(
            month=first,
            charged=quantize(by_month.get(first, {}).get("charged", ZERO), currency),
            paid=quantize(by_month.get(first, {}).get("paid", ZERO), currency),
        )
        for first in firsts
    ]


# --- The account's declarations with their money status ---------------------------------------


def _entries_sum(expression: Any, *, currency: str, extra: Q | None = None) -> Subquery:
    entries = Entry.objects.filter(
        declaration=OuterRef("pk"), account__kind=LedgerAccountKind.TRADER, currency=currency
    )
    if extra is not None:
        entries = entries.filter(extra)
    return Subquery(
        entries.order_by().values("declaration").annotate(total=Sum(expression)).values("total")[:1],
        output_field=AMOUNT,
    )


def declarations_with_money(
    account: TraderAccount, *, status: str = "", mrn: str = "", currency: str = ""
) -> QuerySet[Declaration]:
    """The account's lodged declarations (as trader), newest first, each annotated with ``charged``,
    ``outstanding`` and ``secured`` (the open security's amount): one query per page whatever
    their number. ``money_of`` turns the three into the declaration's ``MoneyStatus``."""
    currency = (currency or home_currency()).upper()
    charges = Q(transaction__kind__in=CHARGE_KINDS)
    declarations = (
        Declaration.objects.filter(trader_account=account)
        .exclude(status=Status.DRAFT)
        .annotate(
            charged=Coalesce(
                _entries_sum(F("debit") - F("credit"), currency=currency, extra=charges),
                Value(ZERO),
                output_field=AMOUNT,
            ),
            outstanding=Coalesce(
                _entries_sum(F("debit") - F("credit"), currency=currency), Value(ZERO), output_field=AMOUNT
            ),
            secured=Subquery(
                Security.objects.filter(declaration=OuterRef("pk"), released_at__isnull=True).values(
                    "amount"
                )[:1],
                output_field=AMOUNT,
            ),
        )
        .order_by("-accepted_at", "-pk")
    )
    if status:
        declarations = declarations.filter(status=status)
    if mrn:
        declarations = declarations.filter(mrn__icontains=mrn.strip())
    return declarations


def money_of(declaration: Declaration, currency: str = "") -> MoneyStatus:
    """The money status of a declaration annotated by ``declarations_with_money``: the one rule
    (``status.money_state``) on the annotated sums, without ``money_status``'s queries."""
    currency = (currency or home_currency()).upper()
    charged = quantize(declaration.charged, currency)  # type: ignore[attr-defined]
    outstanding = quantize(declaration.outstanding, currency)  # type: ignore[attr-defined]
    state = money_state(charged=charged, outstanding=outstanding, secured=declaration.secured)  # type: ignore[attr-defined]
    return MoneyStatus(state=state, charged=charged, outstanding=outstanding, currency=currency)


def declarations_openable(user: User, declaration_ids: Iterable[int | None]) -> set[int]:
    """Which of these declarations the user may open (``declarations_visible_to``): a broker sees
    an account it represents, but only the declarations it lodged for it. One query (none for
    no ids)."""
    ids = {pk for pk in declaration_ids if pk is not None}
    if not ids:
        return set()
    return set(declarations_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


# --- Revenue, money received and debts (customs) ----------------------------------------------


@dataclass
class Pivot:
    """Amounts per day (rows) and per column (a tax type, a method), with totals."""

    columns: list[str]
    rows: list[tuple[date, list[Decimal], Decimal]]
    column_totals: list[Decimal]
    total: Decimal
    currency: str


def _pivot(values: Iterable[dict[str, Any]], *, column: str, currency: str) -> Pivot:
    cells: dict[date, dict[str, Decimal]] = defaultdict(dict)
    columns: set[str] = set()
    for row in values:
        amount = quantize(row["amount"] or ZERO, currency)
        cells[row["day"]][row[column]] = amount
        columns.add(row[column])
    ordered = sorted(columns)
    zero = quantize(ZERO, currency)  # 0.00: every cell shows the currency's minor unit
    rows = []
    for day in sorted(cells):
        amounts = [cells[day].get(c, zero) for c in ordered]
        rows.append((day, amounts, sum(amounts, zero)))
    column_totals = [sum((cells[d].get(c, zero) for d in cells), zero) for c in ordered]
    return Pivot(
        columns=ordered,
        rows=rows,
        column_totals=column_totals,
        total=sum(column_totals, zero),
        currency=currency,
    )


def revenue_by_day_and_tax(*, date_from: date, date_to: date, currency: str = "") -> Pivot:
    """Revenue collected per day and per tax type (the revenue account's code: ``A00``, ``B00``,
    ``FEE:<agency>``): credits to revenue accounts less their debits, so adjustments, reversals
    and refunds of charges count against the day they were booked. One query."""
    currency = (currency or home_currency()).upper()
    values = (
        Entry.objects.filter(
            account__kind=LedgerAccountKind.REVENUE,
            currency=currency,
            transaction__booked_on__range=(date_from, date_to),
        )
        .values(day=F("transaction__booked_on"), code=F("account__code"))
        .annotate(amount=Sum(F("credit") - F("debit"), output_field=AMOUNT))
        .order_by()
    )
    return _pivot(values, column="code", currency=currency)


def received_by_day_and_method(*, date_from: date, date_to: date, currency: str = "") -> Pivot:
    """Money received per day and per method: what came into the bank (transfers, the cashier's
    desk) and each payment provider's clearing account, net of what left them (refunds,
    reversals). Columns are ``bank:<code>`` or ``provider:<code>``. One query."""
    currency = (currency or home_currency()).upper()
    values = (
        Entry.objects.filter(
            account__kind__in=[LedgerAccountKind.BANK, LedgerAccountKind.PROVIDER],
            currency=currency,
            transaction__booked_on__range=(date_from, date_to),
        )
        .values(day=F("transaction__booked_on"), kind=F("account__kind"), code=F("account__code"))
        .annotate(amount=Sum(F("debit") - F("credit"), output_field=AMOUNT))
        .order_by()
    )
    merged = [{**v, "method": f"{v['kind']}:{v['code']}" if v["code"] else v["kind"]} for v in values]
    return _pivot(merged, column="method", currency=currency)


@dataclass
class Debt:
    account: TraderAccount
    balance: Decimal
    oldest_due: date | None = None
    overdue: Decimal = ZERO
    currency: str = ""


def debtors(*, currency: str = "") -> QuerySet[TraderAccount]:
    """Trader accounts that owe money (a positive balance), largest debt first, annotated with
    ``balance``. Paginate this, then ``debts_of`` the page."""
    currency = (currency or home_currency()).upper()
    on_account = Q(
        ledger_accounts__kind=LedgerAccountKind.TRADER, ledger_accounts__entries__currency=currency
    )
    return (
        TraderAccount.objects.annotate(
            balance=Coalesce(
                Sum(
                    F("ledger_accounts__entries__debit") - F("ledger_accounts__entries__credit"),
                    filter=on_account,
                ),
                Value(ZERO),
                output_field=AMOUNT,
            )
        )
        .filter(balance__gt=0)
        .order_by("-balance", "pk")
    )


def debts_of(accounts: Iterable[TraderAccount], *, today: date, currency: str = "") -> list[Debt]:
    """What each debtor owes, since when and how much of it is overdue. One query for them all.

    Payments settle the oldest charges first (first in, first out, by due date): what is still
    owed is the most recent debits that the balance covers. A debit is due on its transaction's
    ``due_on`` (on the day it was booked when it has none); it is overdue after that day.
    """
    currency = (currency or home_currency()).upper()
    debts = {
        a.pk: Debt(account=a, balance=quantize(a.balance, currency), currency=currency)  # type: ignore[attr-defined]
        for a in accounts
    }
    if not debts:
        return []
    debits = (
        Entry.objects.filter(
            account__kind=LedgerAccountKind.TRADER,
            account__trader_account__in=list(debts),
            currency=currency,
            debit__gt=0,
        )
        .annotate(due=Coalesce(F("transaction__due_on"), F("transaction__booked_on")))
        .values_list("account__trader_account_id", "debit", "due")
        .order_by("account__trader_account_id", "-due", "-transaction_id", "-pk")
    )
    left = {pk: debt.balance for pk, debt in debts.items()}
    for account_id, debit, due in debits:
        if left[account_id] <= 0:
            continue
        part = min(quantize(debit, currency), left[account_id])
        left[account_id] -= part
        debt = debts[account_id]
        debt.oldest_due = due  # newest first: the last one covered is the oldest
        if due < today:
            debt.overdue += part
    return list(debts.values())
