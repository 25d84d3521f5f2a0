"""Trade statistics: the supervisors' page (by chapter, origin and month; value and mass; a chart;
CSV) and the public open data (monthly value and mass by direction and chapter, JSON).

The page: customs supervisors and administrators; anyone else the same 404 as a page that does
not exist. The open data: anyone, aggregates only, small cells suppressed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from agencies.forms import error_summary
from clearance.oversight.access import require_oversight
from clearance.oversight.forms import PERIOD_EARLIEST, PERIOD_LATEST
from declarations.models import DirectionChoice
from payments import charts as money_charts
from payments.money import home_currency
from payments.spreadsheet import csv_lines, csv_response, csv_text

from . import statistics
from .statistics import TradeFilter, TradeRow

TABLES = ("chapters", "origins", "months")
DIMENSIONS = {"chapters": "hs_chapter", "origins": "origin", "months": "month"}
DEFAULT_MONTHS = 12
MAX_MONTHS = 60
# Published cells with fewer declarations or traders than this show no value or mass (a single
# trader's trade would be readable from them, or one of two traders could subtract its own).
OPEN_DATA_MIN_DECLARATIONS = 3
OPEN_DATA_MIN_TRADERS = 3
MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class TradeFilterForm(forms.Form):
    month_from = forms.DateField(
        label=gettext_lazy("From (month)"), required=False, widget=MONTH, input_formats=["%Y-%m", "%Y-%m-%d"]
    )
    month_to = forms.DateField(
        label=gettext_lazy("To (month)"), required=False, widget=MONTH, input_formats=["%Y-%m", "%Y-%m-%d"]
    )
    direction = forms.ChoiceField(label=gettext_lazy("Direction"), required=False)
    chapter = forms.ChoiceField(label=gettext_lazy("HS chapter"), required=False)
    origin = forms.ChoiceField(label=gettext_lazy("Country of origin"), required=False)

    def __init__(self, *args: Any, chapters: list[str], origins: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["direction"].choices = [("", _("Imports and exports")), *DirectionChoice.choices]  # type: ignore[attr-defined]
        self.fields["chapter"].choices = [("", _("Every chapter")), *((c, c) for c in chapters)]  # type: ignore[attr-defined]
        self.fields["origin"].choices = [("", _("Every origin")), *((o, o) for o in origins)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # Months at the ends of the calendar would overflow the month arithmetic (a year 0 or 10000).
        for name in ("month_from", "month_to"):
            month = cleaned.get(name)
            if month is not None and not PERIOD_EARLIEST <= month <= PERIOD_LATEST:
                self.add_error(
                    name,
                    _("Choose a month between %(first)s and %(last)s.")
                    % {"first": PERIOD_EARLIEST.year, "last": PERIOD_LATEST.year},
                )
                cleaned.pop(name, None)
        first, last = cleaned.get("month_from"), cleaned.get("month_to")
        if first and last and first > last:
            self.add_error("month_to", _("The last month must be the same as or after the first."))
        elif first and last and len(statistics.months_between(first, last)) > MAX_MONTHS:
            self.add_error("month_from", _("Choose five years at most."))
        return cleaned

    def trade_filter(self) -> TradeFilter:
        """The chosen filter; the last 12 months while the form is unbound or has errors."""
        this_month = statistics.month_start(timezone.localdate())
        default_first = statistics.months_between(date(this_month.year - 1, this_month.month, 1), this_month)[
            1
        ]
        if not self.is_bound or not self.is_valid():
            return TradeFilter(first=default_first, last=this_month)
        data = self.cleaned_data
        last = statistics.month_start(data.get("month_to") or this_month)
        first = statistics.month_start(data.get("month_from") or date(last.year - 1, last.month, 1))
        if first > last:
            first = last
        return TradeFilter(
            first=first,
            last=last,
            direction=data.get("direction") or "",
            chapter=data.get("chapter") or "",
            origin=data.get("origin") or "",
        )


def _form(request: HttpRequest) -> tuple[TradeFilterForm, TradeFilter]:
    chapters, origins = statistics.chapters_and_origins()
    form = TradeFilterForm(request.GET or None, chapters=chapters, origins=origins)
    f = form.trade_filter()
    if not form.is_bound:
        form = TradeFilterForm(
            initial={"month_from": f.first, "month_to": f.last}, chapters=chapters, origins=origins
        )
    return form, f


def _month_label(iso: str, *, first: bool) -> str:
    return money_charts.month_label(date.fromisoformat(iso), with_year=first)


@login_required
@require_GET
def statistics_page(request: HttpRequest) -> HttpResponse:
    """Value and mass by HS chapter, by origin and by month, over the chosen months and filters."""
    require_oversight(request.user)  # type: ignore[arg-type]
    form, f = _form(request)
    chapters = statistics.trade_by(f, "hs_chapter")
    origins = statistics.trade_by(f, "origin")
    months = statistics.trade_by(f, "month")
    total = statistics.trade_total(months)
    currency = home_currency()
    chart = money_charts.bar_chart(
        id="trade-chart",
        title=_("Statistical value per month"),
        desc=_(
            "Bar chart of the statistical value of the goods released, per month of acceptance, from "
            "%(first)s to %(last)s: %(total)s %(currency)s in all. The table below lists every month "
            "with the net mass."
        )
        % {
            "first": date_format(f.first, "F Y"),
            "last": date_format(f.last, "F Y"),
            "total": f"{total.value:,.0f}",
            "currency": currency,
        },
        labels=[_month_label(m.key, first=i == 0) for i, m in enumerate(months)],
        series=[money_charts.Series(name=_("Value"), values=[m.value for m in months], colour="#1d70b8")],
        currency=currency,
    )
    return render(
        request,
        "insights/statistics.html",
        {
            "nav": "insights",
            "form": form,
            "form_errors": error_summary(form) if form.is_bound else [],
            "f": f,
            "chapters": chapters,
            "origins": origins,
            "months": [(date.fromisoformat(m.key), m) for m in months],
            "total": total,
            "chart": chart,
            "currency": currency,
            "query": request.GET.urlencode(),
        },
    )


def _csv_rows(rows: list[TradeRow]) -> Iterator[list[str]]:
    for row in rows:
        yield [
            csv_text(row.key),
            str(row.declarations),
            str(row.items),
            f"{row.value:f}",
            f"{row.mass:f}",
        ]


@login_required
@require_GET
def statistics_csv(request: HttpRequest, table: str) -> StreamingHttpResponse:
    """One of the page's tables (by chapter, origin or month) for the same filter, as CSV."""
    require_oversight(request.user)  # type: ignore[arg-type]
    if table not in TABLES:
        raise Http404("No such table.")
    _unused, f = _form(request)
    rows = statistics.trade_by(f, DIMENSIONS[table])
    first_column = {"chapters": _("HS chapter"), "origins": _("Country of origin"), "months": _("Month")}[
        table
    ]
    header = [
        first_column,
        _("Declarations"),
        _("Goods items"),
        _("Statistical value (%(currency)s)") % {"currency": home_currency()},
        _("Net mass (kg)"),
    ]
    name = f"trade-{table}-{f.first:%Y-%m}-{f.last:%Y-%m}.csv"
    return csv_response(name, csv_lines(header, _csv_rows(rows)))


@require_GET
def statistics_open_data(request: HttpRequest) -> JsonResponse:
    """Public: monthly statistical value and net mass of the goods released, per direction and HS
    chapter, for the last 24 months (``?from=YYYY-MM`` for earlier, five years at most). A cell of
    fewer than three declarations or three traders gives no value or mass."""
    this_month = statistics.month_start(timezone.localdate())
    first = date(this_month.year - 2, this_month.month, 1)
    asked = request.GET.get("from", "")
    if asked:
        try:
            first = statistics.month_start(date.fromisoformat(f"{asked}-01"))
        except ValueError:
            return JsonResponse({"error": _("Give the first month as YYYY-MM.")}, status=400)
        first = max(first, date(this_month.year - 5, this_month.month, 1))
    cells = []
    for cell in statistics.trade_open_data(first=first, last=this_month):
        declarations = int(cell.pop("declarations"))  # type: ignore[call-overload]
        traders = int(cell.pop("traders"))  # type: ignore[call-overload]
        if declarations < OPEN_DATA_MIN_DECLARATIONS or traders < OPEN_DATA_MIN_TRADERS:
            cell.update(statistical_value=None, net_mass_kg=None, suppressed=True)
        cells.append(cell)
    response = JsonResponse(
        {
            "title": "Trade statistics: goods released per month, direction and HS chapter",
            "currency": home_currency(),
            "from": f"{first:%Y-%m}",
            "to": f"{this_month:%Y-%m}",
            "month_basis": "acceptance of the declaration",
            "suppression": (
                f"cells of fewer than {OPEN_DATA_MIN_DECLARATIONS} declarations or "
                f"{OPEN_DATA_MIN_TRADERS} traders give no value or mass"
            ),
            "refreshed_at": statistics.last_refreshed(),
            "cells": cells,
        }
    )
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response
