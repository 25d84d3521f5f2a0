"""Bar charts drawn on the server as SVG: no script, no library, nothing from a CDN.

The SVG is an image with a ``<title>`` and a ``<desc>`` (``role="img"``, labelled by both); the page
puts a table of the same numbers beside it, which is what screen readers and keyboard users read.
Colours and sizes are SVG presentation attributes, not ``style`` (the site's Content-Security-Policy
refuses inline styles). Every text is escaped here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import formats
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .selectors import MonthTotals

ZERO = Decimal(0)

WIDTH, HEIGHT = 440, 240
LEFT, RIGHT, TOP, BOTTOM = 50, 4, 30, 36
INK, MUTED, GRID = "#0b0c0c", "#505a5f", "#b1b4b6"


@dataclass(frozen=True)
class Series:
    name: str
    values: list[Decimal]
    colour: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    desc: str
    labels: list[str]
    series: list[Series]
    currency: str
    svg: SafeString

    @property
    def table_rows(self) -> list[tuple[str, list[Decimal]]]:
        return [
            (label.replace("\n", " "), [s.values[i] for s in self.series])
            for i, label in enumerate(self.labels)
        ]

    @property
    def totals(self) -> list[Decimal]:
        return [sum(s.values, ZERO) for s in self.series]


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten at or above ``value`` (axis maximum)."""
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** (value.adjusted())
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= magnitude * step:
            return magnitude * step
    return magnitude * 10  # pragma: no cover - the loop ends at 10


def _number(value: Decimal) -> str:
    return formats.number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)


def bar_chart(
    *, id: str, title: str, desc: str, labels: list[str], series: list[Series], currency: str
) -> Chart:
    """Grouped bars, one group per label, one bar per series; a y axis in whole units of money."""
    count = max(len(labels), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_ceiling(max((v for s in series for v in s.values), default=ZERO))
    group_w = plot_w / count
    bar_w = group_w * 0.8 / max(len(series), 1)
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{id}-title {id}-desc" focusable="false">',
        f'<title id="{id}-title">{escape(title)}</title>',
        f'<desc id="{id}-desc">{escape(desc)}</desc>',
        f'<g font-family="Helvetica, Arial, sans-serif" font-size="12" fill="{INK}">',
    ]
    ticks = 4
    for i in range(ticks + 1):
        value = top * i / ticks
        y = TOP + plot_h - plot_h * i / ticks
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" '
            f'stroke-width="{1 if i else 1.5}"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{escape(_number(value))}</text>"
        )
    for g, label in enumerate(labels):
        x0 = LEFT + g * group_w + group_w * 0.1
        one_line = label.replace("\n", " ")
        for s_index, s in enumerate(series):
            value = s.values[g]
            h = float(plot_h * value / top) if value > 0 else 0.0
            x = x0 + s_index * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                f'fill="{s.colour}"><title>{escape(f"{one_line}: {s.name} {value:,} {currency}")}</title>'
                "</rect>"
            )
        # A label's second line (a month's year) goes under it.
        centre = LEFT + g * group_w + group_w / 2
        lines = "".join(
            f'<tspan x="{centre:.1f}" dy="{0 if n == 0 else 13}">{escape(line)}</tspan>'
            for n, line in enumerate(label.split("\n"))
        )
        parts.append(f'<text y="{HEIGHT - BOTTOM + 15}" text-anchor="middle">{lines}</text>')
    # The legend, top left, above the plot.
    x = LEFT
    for s in series:
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{s.colour}"/>')
        parts.append(f'<text x="{x + 16}" y="18">{escape(s.name)}</text>')
        x += 28 + 7 * len(s.name)
    parts.append(
        f'<text x="{WIDTH - RIGHT}" y="18" text-anchor="end" fill="{MUTED}">{escape(currency)}</text>'
    )
    parts.append("</g></svg>")
    return Chart(
        id=id,
        title=title,
        desc=desc,
        labels=labels,
        series=series,
        currency=currency,
        svg=mark_safe("".join(parts)),  # noqa: S308 - every text above is escaped
    )


def month_label(first: date, *, with_year: bool = False) -> str:
    """``Mar``; a January, or the first month shown, with its year on a second line."""
    if with_year or first.month == 1:
        return f"{date_format(first, 'M')}\n{first.year}"
    return date_format(first, "M")


def monthly_chart(months: list[MonthTotals], *, currency: str) -> Chart:
    """Charges and payments per month (``selectors.monthly_charges_and_payments``)."""
    charged = [m.charged for m in months]
    paid = [m.paid for m in months]
    first, last = months[0].month, months[-1].month
    desc = _(
        "Bar chart of what was charged to the account and what it paid in each month from "
        "%(first)s to %(last)s, in %(currency)s. In total %(charged)s charged and %(paid)s paid. "
        "The table beside the chart lists every month."
    ) % {
        "first": date_format(first, "F Y"),
        "last": date_format(last, "F Y"),
        "currency": currency,
        "charged": formats.number_format(
            sum(charged, ZERO), decimal_pos=2, use_l10n=True, force_grouping=True
        ),
        "paid": formats.number_format(sum(paid, ZERO), decimal_pos=2, use_l10n=True, force_grouping=True),
    }
    return bar_chart(
        id="monthly-chart",
        title=_("Charges and payments, last 12 months"),
        desc=desc,
        labels=[month_label(m.month, with_year=i == 0) for i, m in enumerate(months)],
        series=[
            Series(name=_("Charged"), values=charged, colour="#1d3557"),
            Series(name=_("Paid"), values=paid, colour="#00703c"),
        ],
        currency=currency,
    )
