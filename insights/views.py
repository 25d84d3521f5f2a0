"""The Time Release Study's pages: the overview, the breakdowns, their CSV tables, the open data.

Thin: access (``access``), the filter form, the figures (``tables``), a template. Everyone but
customs supervisors and administrators gets the same 404 as a page that does not exist; the open
data is public.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from accounts.models import User
from agencies.forms import error_summary
from payments.spreadsheet import csv_lines, csv_response, csv_text

from . import access, opendata, selectors, tables
from .forms import InsightsFilterForm
from .models import Dimension


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _form(request: HttpRequest) -> InsightsFilterForm:
    choices = selectors.filter_choices()
    data = request.GET.copy()
    for name in ("format", "table"):
        data.pop(name, None)
    form = InsightsFilterForm(data or None, types=choices["type"], offices=choices["office"])
    if not form.is_bound:  # the fields show the period the page shows
        period = form.period()
        form = InsightsFilterForm(
            initial={"date_from": period.first, "date_to": period.last},
            types=choices["type"],
            offices=choices["office"],
        )
    return form


def _query(request: HttpRequest) -> str:
    query = request.GET.copy()
    for name in ("format", "table"):
        query.pop(name, None)
    return query.urlencode()


def _csv(figures: tables.Figures, request: HttpRequest, prefix: str, period: object) -> StreamingHttpResponse:
    table = figures.tables.get(request.GET.get("table", ""))
    if table is None:
        raise Http404("No such table.")
    name = f"{prefix}-{table.name}-{period.first.isoformat()}-{period.last.isoformat()}.csv"  # type: ignore[attr-defined]
    return csv_response(name, csv_lines(table.csv_header(), _text_cells(table.csv_rows())))


def _text_cells(rows: list[list[str]]) -> Iterator[list[str]]:
    for row in rows:
        yield [csv_text(cell) for cell in row]


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Time per stage, where the time goes (per lane), the weekly trend; ``?format=csv&table=…``."""
    access.require_insights(_user(request))
    form = _form(request)
    period, filters = form.period(), form.filters()
    figures = tables.overview(start=period.first, end=period.last, filters=filters)
    if request.GET.get("format") == "csv":
        return _csv(figures, request, "time-release", period)
    return render(
        request,
        "insights/overview.html",
        {
            "nav": "insights",
            "tab": "overview",
            "tabs": _tabs(),
            "form": form,
            "form_errors": error_summary(form) if form.is_bound else [],
            "period": period,
            "f": figures,
            "stage_table": figures.tables["stages"],
            "where_table": figures.tables["where"],
            "trend_table": figures.tables["trend"],
            "query": _query(request),
        },
    )


@login_required
@require_GET
def breakdown(request: HttpRequest, dimension: str) -> HttpResponse | StreamingHttpResponse:
    """Release time per agency, lane, declaration type, office or direction; ``?format=csv&table=…``."""
    access.require_insights(_user(request))
    if dimension not in tables.BREAKDOWNS:
        raise Http404("No such breakdown.")
    form = _form(request)
    period, filters = form.period(), form.filters()
    figures = tables.breakdown(dimension=dimension, start=period.first, end=period.last, filters=filters)
    if request.GET.get("format") == "csv":
        return _csv(figures, request, f"time-release-{dimension}", period)
    return render(
        request,
        "insights/breakdown.html",
        {
            "nav": "insights",
            "tab": dimension,
            "tabs": _tabs(),
            "dimension_label": Dimension(dimension).label,
            "form": form,
            "form_errors": error_summary(form) if form.is_bound else [],
            "period": period,
            "f": figures,
            "table_list": [figures.tables[name] for name in tables.table_names(dimension)],
            "query": _query(request),
        },
    )


def _tabs() -> list[tuple[str, str]]:
    return [("overview", ""), *((str(d), str(Dimension(d).label)) for d in tables.BREAKDOWNS)]


@require_GET
def open_data(request: HttpRequest) -> HttpResponse:
    """Public: what the published release times are, how they are measured, the link to the JSON."""
    data = opendata.release_times()
    return render(
        request,
        "insights/open_data.html",
        {"data": data, "min_count": opendata.MIN_COUNT, "months": opendata.MONTHS},
    )


@require_GET
@cache_control(public=True, max_age=opendata.CACHE_SECONDS)
def open_data_json(request: HttpRequest) -> JsonResponse:
    """Public: the average and median release times per complete month, type and office."""
    response = JsonResponse(opendata.release_times(), json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Access-Control-Allow-Origin"] = "*"  # open data: any site may read it
    return response
