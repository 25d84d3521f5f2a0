"""The Time Release Study's charts, drawn on the server as SVG (no script, no library, no CDN).

As the risk dashboard's (``clearance.oversight.charts``): an image with a ``<title>`` and a
``<desc>``, each bar or point with its own ``<title>`` naming its number; the page puts a table of
the same numbers beside each chart. Presentation attributes only (the Content-Security-Policy
refuses inline styles); every text is escaped here.

- ``where_time_goes``: one horizontal bar per row (all declarations, a lane, an agency…), split into
  the mean time of each stage one after the other; the bars' lengths are mean release times.
- ``trend_lines``: weekly p50 and p95 of the release time, two lines over the weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from payments.charts import GRID, INK, MUTED, nice_ceiling

from .templatetags.time_release import duration

WIDTH = 640
# Stages one after the other: blue, orange, purple, green (tell apart without red and green alone;
# the table beside the chart carries the same numbers).
STAGE_COLOURS = ("#1d70b8", "#f47738", "#912b88", "#00703c")
P50_COLOUR, P95_COLOUR = "#1d70b8", "#d4351c"


@dataclass(frozen=True)
class Bar:
    label: str
    values: list[float]  # seconds per segment


def _unit(top_seconds: float) -> tuple[float, str]:
    """The axis unit for a maximum: minutes, hours or days."""
    if top_seconds <= 2 * 3600:
        return 60.0, _("min")
    if top_seconds <= 3 * 86400:
        return 3600.0, _("h")
    return 86400.0, _("days")


def _open(id: str, title: str, desc: str, height: int) -> list[str]:
    return [
        f'<svg class="chart chart--wide" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{id}-title {id}-desc" focusable="false">',
        f'<title id="{id}-title">{escape(title)}</title>',
        f'<desc id="{id}-desc">{escape(desc)}</desc>',
        f'<g font-family="Helvetica, Arial, sans-serif" font-size="12" fill="{INK}">',
    ]


def _short(text: str, size: int = 22) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def where_time_goes(*, id: str, title: str, desc: str, names: list[str], bars: list[Bar]) -> SafeString:
    """Horizontal stacked bars: each row's mean time per stage (``names``), one after the other."""
    left, right, row_h = 150, 16, 30
    # Legend first: its items wrap onto as many lines as the names need.
    legend: list[str] = []
    x, y = 8.0, 10
    for name, colour in zip(names, STAGE_COLOURS, strict=False):
        item_w = 28 + 6.5 * len(name)
        if x + item_w > WIDTH and x > 8:
            x, y = 8.0, y + 18
        legend.append(f'<rect x="{x:.1f}" y="{y}" width="12" height="12" fill="{colour}"/>')
        legend.append(f'<text x="{x + 16:.1f}" y="{y + 10}">{escape(name)}</text>')
        x += item_w
    top_margin = y + 32
    height = top_margin + row_h * max(len(bars), 1) + 34
    plot_w = WIDTH - left - right
    longest = max((sum(b.values) for b in bars), default=0.0)
    unit, unit_name = _unit(longest)
    top = nice_ceiling(Decimal(str(round(longest / unit, 3))) if longest else Decimal(1))
    scale = plot_w / (float(top) * unit)
    parts = _open(id, title, desc, height)
    parts += legend
    # Grid and axis.
    base_y = top_margin + row_h * max(len(bars), 1)
    for i in range(5):
        gx = left + plot_w * i / 4
        tick = top * i / 4
        parts.append(
            f'<line x1="{gx:.1f}" x2="{gx:.1f}" y1="{top_margin - 6}" y2="{base_y}" stroke="{GRID}" '
            f'stroke-width="{1.5 if i == 0 else 1}"/>'
        )
        label = f"{tick.normalize():f} {unit_name}" if tick else "0"
        parts.append(
            f'<text x="{gx:.1f}" y="{base_y + 16}" text-anchor="middle" fill="{MUTED}">{escape(label)}</text>'
        )
    for row, bar in enumerate(bars):
        y = top_margin + row * row_h
        parts.append(
            f'<text x="{left - 8}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">'
            f"{escape(_short(bar.label))}</text>"
        )
        x0 = float(left)
        for name, colour, seconds in zip(names, STAGE_COLOURS, bar.values, strict=False):
            w = max(seconds, 0.0) * scale
            parts.append(
                f'<rect x="{x0:.1f}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" fill="{colour}">'
                f"<title>{escape(f'{bar.label}: {name} {duration(seconds)}')}</title></rect>"
            )
            x0 += w
        anchor = ' text-anchor="end"' if x0 + 60 > WIDTH else ""
        parts.append(
            f'<text x="{min(x0 + 4, WIDTH - right - 2):.1f}" y="{y + row_h / 2 + 4:.1f}" fill="{MUTED}"'
            f"{anchor}>{escape(duration(sum(bar.values)))}</text>"
        )
    parts.append("</g></svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _polyline(colour: str, dash: str, points: list[str]) -> str:
    joined = " ".join(points)
    return f'<polyline fill="none" stroke="{colour}" stroke-width="2.5"{dash} points="{joined}"/>'


def trend_lines(
    *, id: str, title: str, desc: str, weeks: list[date], p50: list[float | None], p95: list[float | None]
) -> SafeString:
    """Two lines over the weeks: the median and the 95th percentile (a gap where a week is empty)."""
    left, right, top_margin, bottom, height = 56, 12, 34, 36, 260
    plot_w, plot_h = WIDTH - left - right, height - top_margin - bottom
    highest = max((v for v in [*p50, *p95] if v is not None), default=0.0)
    unit, unit_name = _unit(highest)
    top = nice_ceiling(Decimal(str(round(highest / unit, 3))) if highest else Decimal(1))
    parts = _open(id, title, desc, height)
    for i in range(5):
        tick = top * i / 4
        y = top_margin + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" '
            f'stroke-width="{1.5 if i == 0 else 1}"/>'
        )
        label = f"{tick.normalize():f} {unit_name}" if tick else "0"
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{escape(label)}</text>'
        )
    count = max(len(weeks), 1)
    step_x = plot_w / max(count - 1, 1)

    def point(i: int, value: float) -> tuple[float, float]:
        return left + i * step_x, top_margin + plot_h - plot_h * value / (float(top) * unit)

    for name, colour, values, dash in (
        (_("Median (p50)"), P50_COLOUR, p50, ""),
        (_("95th percentile (p95)"), P95_COLOUR, p95, ' stroke-dasharray="6 4"'),
    ):
        run: list[str] = []
        for i, value in enumerate(values):
            if value is None:
                if len(run) > 1:
                    parts.append(_polyline(colour, dash, run))
                run = []
                continue
            x, y = point(i, value)
            run.append(f"{x:.1f},{y:.1f}")
        if len(run) > 1:
            parts.append(_polyline(colour, dash, run))
        for i, value in enumerate(values):
            if value is None:
                continue
            x, y = point(i, value)
            label = f"{date_format(weeks[i], 'j M Y')}: {name} {duration(value)}"
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(label)}</title></circle>"
            )
    # Week labels: about six, evenly spaced.
    every = max(1, round(count / 6))
    for i, week in enumerate(weeks):
        if i % every == 0:
            x, _y = point(i, 0.0)
            parts.append(
                f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle" fill="{MUTED}">'
                f"{escape(date_format(week, 'j M'))}</text>"
            )
    # Legend.
    x = float(left)
    for name, colour in ((_("Median (p50)"), P50_COLOUR), (_("95th percentile (p95)"), P95_COLOUR)):
        parts.append(f'<rect x="{x:.1f}" y="10" width="14" height="4" fill="{colour}"/>')
        parts.append(f'<text x="{x + 20:.1f}" y="17">{escape(name)}</text>')
        x += 40 + 6.5 * len(name)
    parts.append("</g></svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
