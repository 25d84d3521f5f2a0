"""The service-level page (per agency, and the breaches) and its CSV tables.

Customs supervisors and administrators see every agency; an agency officer sees its own agencies
only (the agency filter offers no other, and a code of another agency shows nothing of it);
everyone else gets the same 404 as a page that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.models import Role, User
from agencies.forms import error_summary
from agencies.models import Agency
from agencies.templatetags.reviews import when
from clearance.oversight import charts
from clearance.oversight.forms import PeriodForm
from clearance.oversight.selectors import Period
from payments.spreadsheet import csv_lines, csv_response, csv_text

from . import service_levels
from .service_levels import AgencyLevel

PAGE_SIZE = 25
TABLES = ("agencies", "breaches")


class ServiceLevelFilterForm(PeriodForm):
    agency = forms.ChoiceField(label=gettext_lazy("Agency"), required=False)

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("Every agency"))] if len(agencies) > 1 else []
        self.fields["agency"].choices = choices + [(a.code, a.name) for a in agencies]  # type: ignore[attr-defined]


def _span(seconds: float | None) -> str:
    return "" if seconds is None else service_levels.duration_text(seconds)


def _filters(request: HttpRequest) -> tuple[ServiceLevelFilterForm, Period, list[Agency], list[Agency]]:
    """The form, the period, the agencies the user may see and those the page shows."""
    user: User = request.user  # type: ignore[assignment]
    visible = service_levels.service_level_agencies(user)  # 404 for whoever may not see it
    form = ServiceLevelFilterForm(request.GET or None, agencies=visible)
    period = form.period()
    shown = visible
    if form.is_bound and form.is_valid() and form.cleaned_data.get("agency"):
        shown = [a for a in visible if a.code == form.cleaned_data["agency"]]
    if not form.is_bound:
        form = ServiceLevelFilterForm(
            initial={"date_from": period.first, "date_to": period.last}, agencies=visible
        )
    return form, period, visible, shown


@login_required
@require_GET
def service_levels_page(request: HttpRequest) -> HttpResponse:
    """Per agency: decided, share within the service level, median and 95th percentile of the net
    review time, open overdue; the chart of the shares; the breaches, a page at a time."""
    form, period, visible, shown = _filters(request)
    levels = service_levels.agency_levels(agencies=shown, first=period.first, last=period.last)
    total = service_levels.totals(levels)
    paginator = service_levels.CappedPaginator(
        service_levels.breaches(agency_ids=[a.pk for a in shown], first=period.first, last=period.last),
        PAGE_SIZE,
    )
    page = paginator.get_page(request.GET.get("page"))
    chart = charts.rate_bar_chart(
        id="within-chart",
        title=_("Reviews decided within the service level"),
        desc=_(
            "Bar chart of the share of reviews each agency decided within its service level, from "
            "%(first)s to %(last)s. The table beside it gives the counts and times."
        )
        % {"first": period.first.isoformat(), "last": period.last.isoformat()},
        labels=[_short(level.agency.name) for level in levels],
        rates=[level.within_share for level in levels],
    )
    user: User = request.user  # type: ignore[assignment]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "insights/service_levels.html",
        {
            # Supervisors reach it from the insights overview; officers from their own link.
            "nav": "insights" if user.role in (Role.SUPERVISOR, Role.ADMIN) else "service_levels",
            "form": form,
            "form_errors": error_summary(form) if form.is_bound else [],
            "period": period,
            "rows": [_row(level) for level in levels],
            "total": _row(total),
            "chart": chart,
            "page": page,
            "breach_rows": [
                {
                    "breach": b,
                    "due": when(b.due_at),
                    "decided": when(b.decided_at),
                    "late": _span(b.late_seconds),
                }
                for b in page.object_list
            ],
            "query": query.urlencode(),
            "overdue_cap": service_levels.OVERDUE_COUNT_CAP,
            "breach_cap": service_levels.BREACH_COUNT_CAP if paginator.capped else None,
            "sees_every_agency": len(visible) > 1 or user.role in (Role.SUPERVISOR, Role.ADMIN),
            "supervisor_links": user.role in (Role.SUPERVISOR, Role.ADMIN),
        },
    )


def _short(name: str, size: int = 14) -> str:
    return name if len(name) <= size else name[: size - 1] + "…"


def _row(level: AgencyLevel) -> dict[str, Any]:
    return {
        "agency": level.agency,
        "decided": level.decided,
        "within": level.within,
        "share": level.within_share,
        "breached": level.breached,
        "median": _span(level.median_seconds),
        "p95": _span(level.p95_seconds),
        "median_seconds": level.median_seconds,
        "p95_seconds": level.p95_seconds,
        "open_overdue": level.open_overdue,
    }


@login_required
@require_GET
def service_levels_csv(request: HttpRequest, table: str) -> StreamingHttpResponse:
    """The per-agency table or every breach of the period (not only a page) as CSV."""
    if table not in TABLES:
        raise Http404("No such table.")
    _form, period, _visible, shown = _filters(request)
    name = f"service-levels-{table}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    if table == "agencies":
        levels = service_levels.agency_levels(agencies=shown, first=period.first, last=period.last)
        header = [
            _("Agency"),
            _("Service level (hours)"),
            _("Decided"),
            _("Within the service level"),
            _("Within (%)"),
            _("Median net time (seconds)"),
            _("95th percentile net time (seconds)"),
            _("Open and overdue now"),
        ]
        rows: Iterator[list[str]] = (
            [
                csv_text(level.agency.name),
                str(level.agency.service_level_hours),
                str(level.decided),
                str(level.within),
                "" if level.within_share is None else f"{level.within_share}",
                "" if level.median_seconds is None else f"{level.median_seconds:.0f}",
                "" if level.p95_seconds is None else f"{level.p95_seconds:.0f}",
                str(level.open_overdue),
            ]
            for level in levels
        )
        return csv_response(name, csv_lines(header, rows))
    breaches = service_levels.breaches(agency_ids=[a.pk for a in shown], first=period.first, last=period.last)
    header = [_("Agency"), _("MRN"), _("Due"), _("Decided"), _("Late by (seconds)")]
    rows = (
        [
            csv_text(b.agency.name),
            csv_text(b.declaration.mrn or ""),
            b.due_at.isoformat(),
            b.decided_at.isoformat(),
            f"{b.late_seconds:.0f}",
        ]
        for b in breaches.iterator(chunk_size=2000)
    )
    return csv_response(name, csv_lines(header, rows))
