"""The oversight pages: watchlists, the AEO register, the risk dashboard (and its CSV tables).

Thin: access (``access``), a form, one service or selector call, a template. Traders, brokers and
cashiers get the same 404 as a page that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role, TraderAccount, User
from agencies.forms import add_service_errors, error_summary
from agencies.models import Agency
from payments.spreadsheet import csv_lines, csv_response, csv_text
from singlewindow.errors import DomainError, NotFound

from . import access, dashboard, selectors, services
from .forms import AeoFilterForm, AeoForm, PeriodForm, ReasonForm, WatchlistAddForm, WatchlistFilterForm

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


# --- watchlists -------------------------------------------------------------------------------


def _watchlist_page(
    request: HttpRequest, *, add_form: WatchlistAddForm | None = None, status: int = 200
) -> HttpResponse:
    user = access.require_watchlists(_user(request))
    own = access.watchlist_agencies_of(user)
    all_agencies = list(Agency.objects.filter(is_active=True).order_by("name"))
    filters = WatchlistFilterForm(request.GET or None, agencies=all_agencies)
    narrowing: dict[str, Any] = {}
    if filters.is_bound and filters.is_valid():
        f = filters.cleaned_data
        narrowing = {
            "show": f["show"] or selectors.WatchlistShow.ACTIVE,
            "text": f["text"],
            "agency": f["agency"],
        }
    page = Paginator(selectors.watchlist_entries(**narrowing), PAGE_SIZE).get_page(request.GET.get("page"))
    if add_form is None and own:
        add_form = WatchlistAddForm(agencies=own)
    own_ids = {a.pk for a in own}
    return render(
        request,
        "clearance/oversight/watchlist.html",
        {
            "nav": "watchlist",
            "filters": filters,
            "filter_errors": error_summary(filters) if filters.is_bound else [],
            "page": page,
            "rows": [(entry, access.may_remove(user, entry, own_ids)) for entry in page.object_list],
            "query": _query_without(request, "page"),
            "add_form": add_form,
            "add_errors": error_summary(add_form) if add_form is not None and add_form.is_bound else [],
            "own_agencies": own,
            "links_accounts": user.role in (Role.SUPERVISOR, Role.ADMIN),
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
@require_GET
def watchlist(request: HttpRequest) -> HttpResponse:
    """Every agency's watchlist entries (active by default), filtered, newest first; the add form."""
    return _watchlist_page(request)


@login_required
@require_POST
def watchlist_add(request: HttpRequest) -> HttpResponse:
    user = access.require_watchlists(_user(request))
    own = access.watchlist_agencies_of(user)
    if not own:
        raise Http404("No agency to add for.")
    form = WatchlistAddForm(request.POST, agencies=own)
    if form.is_valid():
        f = form.cleaned_data
        agency = next(a for a in own if str(a.pk) == f["agency"])
        try:
            entry = services.watchlist_add(
                user=user,
                agency=agency,
                eori=f["eori"],
                name=f["name"],
                reason=f["reason"],
                valid_until=f["valid_until"],
            )
        except NotFound:
            raise Http404("No such agency.") from None
        except DomainError as exc:
            add_service_errors(form, exc, default_field="eori")
        else:
            messages.success(
                request,
                _("%(party)s is on %(agency)s's watchlist.")
                % {"party": entry.eori or entry.name, "agency": agency.name},
            )
            return redirect("clearance:watchlist")
    return _watchlist_page(request, add_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def watchlist_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove an entry of one's own agency with a reason (the entry is kept, marked removed)."""
    user = access.require_watchlists(_user(request))
    entry = access.access_watchlist_entry_to_remove(user, pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.watchlist_remove(user=user, entry_id=entry.pk, reason=form.cleaned_data["reason"])
        except NotFound:
            raise Http404("No such entry.") from None
        except DomainError as exc:
            add_service_errors(form, exc, default_field="reason")
        else:
            messages.success(request, _("The entry is removed from the watchlist."))
            return redirect("clearance:watchlist")
    return render(
        request,
        "clearance/oversight/watchlist_remove.html",
        {
            "nav": "watchlist",
            "entry": entry,
            "form": form,
            "errors": error_summary(form) if form.is_bound else [],
        },
        status=400 if form.is_bound else 200,
    )


# --- AEO register ------------------------------------------------------------------------------


@login_required
@require_GET
def aeo_register(request: HttpRequest) -> HttpResponse:
    """Trader accounts with their AEO authorisation: expiring ones highlighted, expired shown."""
    access.require_oversight(_user(request))
    filters = AeoFilterForm(request.GET or None)
    narrowing: dict[str, Any] = {}
    if filters.is_bound and filters.is_valid():
        f = filters.cleaned_data
        narrowing = {"show": f["show"] or selectors.AeoShow.AUTHORISED, "text": f["text"]}
    page = Paginator(selectors.aeo_accounts(**narrowing), PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    return render(
        request,
        "clearance/oversight/aeo.html",
        {
            "nav": "aeo",
            "filters": filters,
            "filter_errors": error_summary(filters) if filters.is_bound else [],
            "page": page,
            "rows": [(account, selectors.aeo_state(account, today)) for account in page.object_list],
            "query": _query_without(request, "page"),
            "expiring_days": selectors.EXPIRING_WITHIN_DAYS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def aeo_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    """Maintain one trader account's AEO tier, authorisation number and validity (audited)."""
    user = access.require_oversight(_user(request))
    account = TraderAccount.objects.filter(pk=account_id).first() if 0 < account_id < 2**63 else None
    if account is None:
        raise Http404("No such trader account.")
    initial = {
        "aeo_tier": account.aeo_tier,
        "aeo_reference": account.aeo_reference,
        "aeo_valid_from": account.aeo_valid_from,
        "aeo_valid_until": account.aeo_valid_until,
    }
    form = AeoForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data
        value = services.AeoAuthorisation(
            tier=f["aeo_tier"],
            reference=f["aeo_reference"],
            valid_from=f["aeo_valid_from"],
            valid_until=f["aeo_valid_until"],
        )
        try:
            services.aeo_set(account_id=account.pk, user=user, value=value)
        except NotFound:
            raise Http404("No such trader account.") from None
        except DomainError as exc:
            for error in exc.errors:
                pointer = str(error.get("pointer") or "")
                form.add_error(pointer if pointer in form.fields else "aeo_tier", str(error.get("message")))
        else:
            messages.success(
                request, _("The AEO authorisation of %(name)s is saved.") % {"name": account.name}
            )
            return redirect("clearance:aeo")
    return render(
        request,
        "clearance/oversight/aeo_edit.html",
        {
            "nav": "aeo",
            "account": account,
            "state": selectors.aeo_state(account),
            "form": form,
            "errors": error_summary(form) if form.is_bound else [],
        },
        status=400 if form.is_bound else 200,
    )


# --- the risk dashboard ------------------------------------------------------------------------


@login_required
@require_GET
def risk_dashboard(request: HttpRequest) -> HttpResponse:
    """Lane mix per week, hit rate per rule and per lane, the random sample: charts and tables."""
    access.require_oversight(_user(request))
    form = PeriodForm(request.GET or None)
    period = form.period()
    if not form.is_bound:  # the fields show the period the page shows
        form = PeriodForm(initial={"date_from": period.first, "date_to": period.last})
    figures = dashboard.dashboard_figures(period)
    return render(
        request,
        "clearance/oversight/dashboard.html",
        {
            "nav": "dashboard",
            "form": form,
            "form_errors": error_summary(form) if form.is_bound else [],
            "d": figures,
            "query": _query_without(request, "table"),
        },
    )


@login_required
@require_GET
def risk_dashboard_csv(request: HttpRequest, table: str) -> StreamingHttpResponse:
    """One table of the dashboard, for the chosen period, as CSV (BOM, formula cells escaped)."""
    access.require_oversight(_user(request))
    if table not in dashboard.TABLES:
        raise Http404("No such table.")
    period = PeriodForm(request.GET or None).period()
    figures = dashboard.dashboard_figures(period)
    header, rows = dashboard.table(figures, table)
    name = f"risk-{table}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return csv_response(name, csv_lines(header, _text_cells(rows)))


def _text_cells(rows: list[list[str]]) -> Iterator[list[str]]:
    for row in rows:
        yield [csv_text(cell) for cell in row]
