"""The balanced scorecard page and its CSV: customs supervisors and administrators only (anyone else
the same 404 as a page that does not exist)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agencies.forms import error_summary
from clearance.oversight.access import require_oversight
from clearance.oversight.forms import PeriodForm
from payments.spreadsheet import csv_lines, csv_response, csv_text

from . import scorecard as card
from .scorecard_charts import sparkline
from .service_levels import duration_text


def value_text(kpi: card.Kpi, value: float | None, currency: str) -> str:
    """A figure as the page writes it, by its unit; a dash when there is none."""
    if value is None:
        return "–"
    if kpi.unit == "duration":
        return duration_text(value)
    if kpi.unit == "money":
        return f"{formats.number_format(round(value), use_l10n=True, force_grouping=True)} {currency}"
    if kpi.unit == "percent":
        return f"{formats.number_format(value, decimal_pos=1, use_l10n=True)} %"
    if kpi.unit == "score":
        return _("%(score)s out of 5") % {"score": formats.number_format(value, decimal_pos=1, use_l10n=True)}
    return str(formats.number_format(round(value), use_l10n=True, force_grouping=True))


def change_text(kpi: card.Kpi, currency: str) -> str:
    """The change from the previous period in words (never the arrow or the colour alone)."""
    before = value_text(kpi, kpi.previous, currency)
    direction = kpi.direction
    if not direction:
        return (
            _("No figure for the previous period") if kpi.previous is None else _("No figure for this period")
        )
    if direction == "same":
        return _("Unchanged from the previous period (%(before)s)") % {"before": before}
    if kpi.unit == "percent":
        amount = _("%(n)s points") % {
            "n": formats.number_format(abs(kpi.change or 0), decimal_pos=1, use_l10n=True)
        }
    elif kpi.relative_change is not None:
        amount = f"{formats.number_format(abs(kpi.relative_change), decimal_pos=0, use_l10n=True)} %"
    else:
        amount = value_text(kpi, abs(kpi.change or 0), currency)
    words = {
        ("up", "better"): _("Up %(amount)s from %(before)s: better"),
        ("up", "worse"): _("Up %(amount)s from %(before)s: worse"),
        ("up", ""): _("Up %(amount)s from %(before)s"),
        ("down", "better"): _("Down %(amount)s from %(before)s: better"),
        ("down", "worse"): _("Down %(amount)s from %(before)s: worse"),
        ("down", ""): _("Down %(amount)s from %(before)s"),
    }[(direction, kpi.verdict)]
    return words % {"amount": amount, "before": before}


ARROWS = {"up": "▲", "down": "▼", "same": "▶", "": ""}


def _tiles(sc: card.Scorecard) -> list[dict[str, Any]]:
    labels = [date_format(first, "j M") for first, _last in sc.weeks]
    tiles = []
    for kpi in sc.kpis:
        texts = [value_text(kpi, v, sc.currency) for v in kpi.weekly]
        tiles.append(
            {
                "kpi": kpi,
                "value": value_text(kpi, kpi.current, sc.currency),
                "previous": value_text(kpi, kpi.previous, sc.currency),
                "change": change_text(kpi, sc.currency),
                "arrow": ARROWS[kpi.direction],
                "sparkline": sparkline(
                    id=f"spark-{kpi.key}",
                    title=_("%(figure)s per week") % {"figure": kpi.label},
                    labels=[_("week of %(day)s") % {"day": label} for label in labels],
                    values=kpi.weekly,
                    texts=texts,
                ),
            }
        )
    return tiles


def _form_and_card(request: HttpRequest) -> tuple[PeriodForm, card.Scorecard]:
    form = PeriodForm(request.GET or None)
    period = form.period()
    if not form.is_bound:
        form = PeriodForm(initial={"date_from": period.first, "date_to": period.last})
    return form, card.scorecard(period)


@login_required
@require_GET
def scorecard_page(request: HttpRequest) -> HttpResponse:
    """Every key figure of the period beside the previous period's, with its weekly course."""
    require_oversight(request.user)  # type: ignore[arg-type]
    form, sc = _form_and_card(request)
    return render(
        request,
        "insights/scorecard.html",
        {
            "nav": "insights",
            "form": form,
            "form_errors": error_summary(form) if form.is_bound else [],
            "sc": sc,
            "tiles": _tiles(sc),
            "processing": [
                {
                    "row": row,
                    "p50": duration_text(row.p50),
                    "p95": duration_text(row.p95),
                    "previous": duration_text(row.previous_p50),
                }
                for row in sc.processing
            ],
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_GET
def scorecard_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The figures of the page, this period and the previous, as CSV (raw numbers: seconds, money
    in the home currency, per cent, score out of 5)."""
    require_oversight(request.user)  # type: ignore[arg-type]
    _form, sc = _form_and_card(request)
    header = [_("Figure"), _("Unit"), _("This period"), _("Previous period"), _("Change")]

    def raw(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")

    rows = (
        [
            csv_text(kpi.label),
            kpi.unit,
            raw(kpi.current),
            raw(kpi.previous),
            csv_text(change_text(kpi, sc.currency)),
        ]
        for kpi in sc.kpis
    )
    name = f"scorecard-{sc.period.first.isoformat()}-{sc.period.last.isoformat()}.csv"
    return csv_response(name, csv_lines(header, rows))
