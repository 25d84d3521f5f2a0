"""Revenue for customs (``/payments/revenue/``): what was collected per day and per tax type, what
was received per day and by which means, and which traders owe money; each table also as CSV.

For supervisors, administrators and cashiers (``selectors.sees_revenue``); anyone else gets 404,
as for any page that is not theirs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.models import User
from declarations import refdata

from . import charts, selectors
from .models import LedgerAccountKind
from .money import home_currency
from .spreadsheet import csv_amount, csv_lines, csv_response, csv_text

DEFAULT_DAYS = 30
MAX_DAYS = 366
DEBTS_PAGE_SIZE = 25
CHART_DAYS = 62  # longer ranges are charted per month

ZERO = Decimal(0)


class RevenueFilterForm(forms.Form):
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_to", _("The end date must be the same as or after the start date."))
            elif (end - start).days >= MAX_DAYS:
                self.add_error("date_to", _("Choose at most %(days)s days.") % {"days": MAX_DAYS})
        return cleaned

    def period(self, today: date) -> tuple[date, date]:
        """The chosen days; the last ``DEFAULT_DAYS`` days when none (or a wrong one) is chosen."""
        default = (today - timedelta(days=DEFAULT_DAYS - 1), today)
        if not self.is_bound or not self.is_valid():
            return default
        start = self.cleaned_data["date_from"]
        end = self.cleaned_data["date_to"]
        if start is None and end is None:
            return default
        if start is None:
            start = max(end - timedelta(days=DEFAULT_DAYS - 1), date.min)
        if end is None:
            end = min(start + timedelta(days=DEFAULT_DAYS - 1), today) if start <= today else start
        return start, end


def _customs(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not selectors.sees_revenue(user):
        raise Http404("No such page.")
    return user


def tax_type_label(code: str) -> str:
    """``A00`` → ``A00 Customs duty (UK)``; ``FEE:plant-health`` → ``Fee: plant-health``."""
    if code.startswith("FEE:"):
        return _("Fee: %(agency)s") % {"agency": code[4:]}
    name = refdata.shipped_description(refdata.TAX_TYPE, code)
    return f"{code} {name}" if name else code


def method_label(method: str) -> str:
    """``bank`` → bank transfer or the cashier's desk; ``provider:testpay`` → card (testpay)."""
    kind, _sep, code = method.partition(":")
    if kind == LedgerAccountKind.BANK:
        return _("Bank transfer or cashier") + (f" ({code})" if code else "")
    if kind == LedgerAccountKind.PROVIDER:
        return _("Card (%(provider)s)") % {"provider": code} if code else _("Card")
    return method


@dataclass(frozen=True)
class Period:
    date_from: date
    date_to: date

    @property
    def query(self) -> str:
        return f"date_from={self.date_from.isoformat()}&date_to={self.date_to.isoformat()}"


def _period(request: HttpRequest) -> tuple[RevenueFilterForm, Period]:
    today = timezone.localdate()
    default = RevenueFilterForm().period(today)
    # Unbound, the fields show the default days, which the page's tables cover.
    form = RevenueFilterForm(request.GET or None, initial={"date_from": default[0], "date_to": default[1]})
    start, end = form.period(today)
    return form, Period(start, end)


def revenue_chart(pivot: selectors.Pivot, period: Period) -> charts.Chart:
    """Revenue per day of the period (per month when it is longer than ``CHART_DAYS``)."""
    by_day = {day: total for day, _amounts, total in pivot.rows}
    days = [period.date_from + timedelta(days=n) for n in range((period.date_to - period.date_from).days + 1)]
    if len(days) <= CHART_DAYS:
        step = max(1, round(len(days) / 10))  # about ten labels, whatever the number of days
        labels = [
            (f"{d.day}\n{date_format(d, 'M')}" if i == 0 or d.day == 1 else str(d.day))
            if i % step == 0
            else ""
            for i, d in enumerate(days)
        ]
        values = [by_day.get(d, ZERO) for d in days]
        unit = _("day")
    else:
        months: dict[date, Decimal] = {}
        for d in days:
            first = d.replace(day=1)
            months[first] = months.get(first, ZERO) + by_day.get(d, ZERO)
        labels = [charts.month_label(m, with_year=i == 0) for i, m in enumerate(months)]
        values = list(months.values())
        unit = _("month")
    desc = _(
        "Bar chart of the revenue collected per %(unit)s from %(first)s to %(last)s, in %(currency)s: "
        "%(total)s in total. The table below lists each day and tax type."
    ) % {
        "unit": unit,
        "first": date_format(period.date_from, "j F Y"),
        "last": date_format(period.date_to, "j F Y"),
        "currency": pivot.currency,
        "total": f"{pivot.total:,}",
    }
    return charts.bar_chart(
        id="revenue-chart",
        title=_("Revenue collected per %(unit)s") % {"unit": unit},
        desc=desc,
        labels=labels,
        series=[charts.Series(name=_("Revenue"), values=values, colour="#1d3557")],
        currency=pivot.currency,
    )


@login_required
@require_GET
def revenue_page(request: HttpRequest) -> HttpResponse:
    """Revenue per day and tax type, money received per day and method, outstanding debts."""
    _customs(request)
    form, period = _period(request)
    currency = home_currency()
    revenue = selectors.revenue_by_day_and_tax(
        date_from=period.date_from, date_to=period.date_to, currency=currency
    )
    received = selectors.received_by_day_and_method(
        date_from=period.date_from, date_to=period.date_to, currency=currency
    )
    debts_page = Paginator(selectors.debtors(currency=currency), DEBTS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "payments/revenue/page.html",
        {
            "nav": "revenue",
            "form": form,
            "period": period,
            "currency": currency,
            "revenue": revenue,
            "revenue_columns": [tax_type_label(c) for c in revenue.columns],
            "chart": revenue_chart(revenue, period),
            "received": received,
            "received_columns": [method_label(c) for c in received.columns],
            "debts_page": debts_page,
            "debts": selectors.debts_of(debts_page.object_list, today=today, currency=currency),
            "debts_query": query.urlencode(),
            "today": today,
        },
    )


def _pivot_lines(pivot: selectors.Pivot, columns: list[str]) -> Iterator[bytes]:
    header = [_("Date"), *[csv_text(c) for c in columns], _("Total"), _("Currency")]
    rows = (
        [day.isoformat(), *[csv_amount(a) for a in amounts], csv_amount(total), pivot.currency]
        for day, amounts, total in pivot.rows
    )
    return csv_lines(header, rows)


@login_required
@require_GET
def revenue_csv(request: HttpRequest, table: str) -> StreamingHttpResponse:
    """One of the page's tables as CSV: ``revenue``, ``received`` (for the chosen days) or ``debts``."""
    _customs(request)
    _form, period = _period(request)
    currency = home_currency()
    span = f"{period.date_from.isoformat()}-{period.date_to.isoformat()}"
    if table == "revenue":
        pivot = selectors.revenue_by_day_and_tax(
            date_from=period.date_from, date_to=period.date_to, currency=currency
        )
        return csv_response(
            f"revenue-{span}.csv", _pivot_lines(pivot, [tax_type_label(c) for c in pivot.columns])
        )
    if table == "received":
        pivot = selectors.received_by_day_and_method(
            date_from=period.date_from, date_to=period.date_to, currency=currency
        )
        return csv_response(
            f"received-{span}.csv", _pivot_lines(pivot, [method_label(c) for c in pivot.columns])
        )
    if table == "debts":
        today = timezone.localdate()
        debts = selectors.debts_of(list(selectors.debtors(currency=currency)), today=today, currency=currency)
        header = [_("Trader"), _("EORI"), _("Owed"), _("Oldest due"), _("Overdue"), _("Currency")]
        rows = (
            [
                csv_text(d.account.name),
                d.account.eori,
                csv_amount(d.balance),
                d.oldest_due.isoformat() if d.oldest_due else "",
                csv_amount(d.overdue),
                d.currency,
            ]
            for d in debts
        )
        return csv_response(f"debts-{today.isoformat()}.csv", csv_lines(header, rows))
    raise Http404("No such table.")
