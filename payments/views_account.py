"""The trader account page (``/accounts/<id>/``) and its ledger as CSV.

One page for everything about a trader's money: the balance, the headroom of its guarantees and
deferment accounts, the ledger with a running balance (filtered, paginated), a chart of the last
twelve months, its statements and its declarations with their money status. Reached by the
account's members and its authorised brokers; customs staff who work on money see any account
(``selectors.access_trader_account``: 404 for everyone else).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.models import User
from declarations.models import Status

from . import charts, selectors
from .facilities import facilities_for
from .ledger import trader_balance
from .models import TransactionKind
from .money import home_currency, quantize
from .spreadsheet import csv_amount, csv_lines, csv_response, csv_text
from .statements import statements_for

PAGE_SIZE = 25
DECLARATIONS_PAGE_SIZE = 10
CHART_MONTHS = 12
STATEMENTS_SHOWN = 24  # two years of monthly statements


class LedgerFilterForm(forms.Form):
    date_from = forms.DateField(
        label=gettext_lazy("Booked from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("Booked to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("Every kind")), *TransactionKind.choices],
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must be the same as or after the start date."))
        return cleaned

    def filters(self) -> selectors.LedgerFilter:
        """The filters to apply: none while the form is unbound or has errors."""
        if not self.is_bound or not self.is_valid():
            return selectors.LedgerFilter()
        f = self.cleaned_data
        return selectors.LedgerFilter(date_from=f["date_from"], date_to=f["date_to"], kind=f["kind"] or "")


class AccountDeclarationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status"))]
        + [(v, label) for v, label in Status.choices if v != Status.DRAFT],
    )
    mrn = forms.CharField(label=gettext_lazy("MRN contains"), required=False, max_length=18)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@login_required
@require_GET
def account_page(request: HttpRequest, account_id: int) -> HttpResponse:
    """The trader account page: balance, headroom, ledger, chart, statements, declarations."""
    user = _user(request)
    account = selectors.access_trader_account(user, account_id)
    currency = home_currency()
    today = timezone.localdate()

    ledger_form = LedgerFilterForm(request.GET if _any(request, LedgerFilterForm) else None)
    entries = selectors.ledger_entries(account, ledger_form.filters(), currency)
    ledger_page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(selectors.ledger_rows(ledger_page.object_list))

    declaration_form = AccountDeclarationFilterForm(
        request.GET if _any(request, AccountDeclarationFilterForm) else None
    )
    narrowing = (
        declaration_form.cleaned_data if declaration_form.is_bound and declaration_form.is_valid() else {}
    )
    declarations = selectors.declarations_with_money(
        account, status=narrowing.get("status", ""), mrn=narrowing.get("mrn", ""), currency=currency
    )
    declarations_page = Paginator(declarations, DECLARATIONS_PAGE_SIZE).get_page(request.GET.get("dpage"))
    declaration_rows = [(d, selectors.money_of(d, currency)) for d in declarations_page.object_list]
    # A link only where the user may open the declaration (a broker: those it lodged).
    openable = selectors.declarations_openable(
        user, [r.declaration_id for r in rows] + [d.pk for d, _money in declaration_rows]
    )

    months = selectors.monthly_charges_and_payments(
        account, today=today, months=CHART_MONTHS, currency=currency
    )
    balance = quantize(trader_balance(account, currency), currency)
    return render(
        request,
        "payments/account/page.html",
        {
            "nav": "trader_account",
            "account": account,
            "aeo_in_force": account.aeo_valid_on(today),
            "currency": currency,
            "balance": balance,
            "headroom": facilities_for(account),
            "ledger_form": ledger_form,
            "ledger_page": ledger_page,
            "rows": rows,
            "ledger_query": _query_without(request, "page"),
            "csv_query": _query_without(request, "page", "dpage", "status", "mrn"),
            "chart": charts.monthly_chart(months, currency=currency),
            "statements": list(statements_for(account)[:STATEMENTS_SHOWN]),
            "declaration_form": declaration_form,
            "declarations_page": declarations_page,
            "declaration_rows": declaration_rows,
            "openable": openable,
            "declarations_query": _query_without(request, "dpage"),
        },
    )


def _any(request: HttpRequest, form_class: type[forms.Form]) -> bool:
    """Whether the request carries any of the form's fields (each form on the page is bound alone)."""
    return any(name in request.GET for name in form_class.base_fields)


# --- CSV --------------------------------------------------------------------------------------


def ledger_csv_rows(rows: Iterable[selectors.LedgerRow], kind_labels: dict[str, str]) -> Iterator[list[str]]:
    """The CSV's rows; the kinds' labels are translated before streaming starts."""
    for row in rows:
        kind = kind_labels.get(row.kind, row.kind)
        yield [
            row.booked_on.isoformat(),
            row.due_on.isoformat() if row.due_on else "",
            csv_text(kind),
            csv_text(row.reference),
            csv_text(row.memo or kind),
            csv_amount(row.debit) if row.debit else "",
            csv_amount(row.credit) if row.credit else "",
            csv_amount(row.balance),
            row.currency,
        ]


@login_required
@require_GET
def account_ledger_csv(request: HttpRequest, account_id: int) -> StreamingHttpResponse:
    """The ledger's rows as the page filters them, every page, streamed as CSV (newest first)."""
    account = selectors.access_trader_account(_user(request), account_id)
    ledger_form = LedgerFilterForm(request.GET if _any(request, LedgerFilterForm) else None)
    entries = selectors.ledger_entries(account, ledger_form.filters())
    header = [
        _("Date"),
        _("Due"),
        _("Kind"),
        _("Reference"),
        _("Description"),
        _("Debit"),
        _("Credit"),
        _("Balance"),
        _("Currency"),
    ]
    kind_labels = {kind.value: str(kind.label) for kind in TransactionKind}
    rows = ledger_csv_rows(selectors.ledger_rows(entries.iterator(chunk_size=2000)), kind_labels)
    filename = f"ledger-{account.eori}-{timezone.localdate().isoformat()}.csv"
    return csv_response(filename, csv_lines(header, rows))
