"""The trader's statement page: a deferment account's month, its lines with due dates, the total,
and "Pay this statement" (one payment through the payment flow, allocated over its declarations).

Members of the trader account and the brokers authorised to represent it see it; customs staff who
work on money (supervisors, administrators, cashiers) see any. The same 404 for missing and not
yours.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import accounts_actable
from accounts.models import Role, User

from .models import Statement, StatementStatus
from .statements import month_label, statement_with_lines


def _customs_staff(user: User) -> bool:
    return user.role in (Role.SUPERVISOR, Role.ADMIN) or str(user.role or "") == "cashier"


def access_statement(user: User, account_id: int, statement_id: int) -> Statement:
    """The statement of that trader account if the user may see it; 404 for missing and not yours."""
    if not user.is_authenticated or not user.is_active:
        raise Http404("No such statement.")
    statement = statement_with_lines(statement_id)
    if statement is None or statement.facility.trader_account_id != account_id:
        raise Http404("No such statement.")
    if not _customs_staff(user) and not accounts_actable(user).filter(pk=account_id).exists():
        raise Http404("No such statement.")
    return statement


@login_required
def statement_page(request: HttpRequest, account_id: int, statement_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    statement = access_statement(user, account_id, statement_id)
    payable = statement.status in (StatementStatus.OPEN, StatementStatus.OVERDUE)
    return render(
        request,
        "payments/statements/statement.html",
        {
            "statement": statement,
            "account": statement.facility.trader_account,
            "lines": list(statement.lines.all()),
            "month": month_label(statement.period_start),
            "payable": payable,
        },
    )
