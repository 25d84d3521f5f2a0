"""The dashboard's charts, drawn on the server as SVG (no script, no library, no CDN).

As the account page's (``payments.charts``): an image with a ``<title>`` and a ``<desc>``, each bar
with its own ``<title>`` naming its number; the page puts a table of the same numbers beside each
chart. Presentation attributes only (the Content-Security-Policy refuses inline styles); every text
is escaped here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from payments.charts import GRID, INK, MUTED, nice_ceiling

WIDTH, HEIGHT = 440, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 6, 30, 36
LANE_COLOURS = {"green": "#00703c", "yellow": "#b58800", "red": "#d4351c"}
RATE_COLOUR = "#1d3557"


@dataclass(frozen=True)
class Segment:
    name: str
    colour: str
    values: list[int]


def _number(value: Decimal | int) -> str:
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def _open(id: str, title: str, desc: str, height: int = HEIGHT) -> list[str]:
    return [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{id}-title {id}-desc" focusable="false">',
        f'<title id="{id}-title">{escape(title)}</title>',
        f'<desc id="{id}-desc">{escape(desc)}</desc>',
        f'<g font-family="Helvetica, Arial, sans-serif" font-size="12" fill="{INK}">',
    ]


def _axis(parts: list[str], top: Decimal, *, unit: str = "") -> None:
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" '
            f'stroke-width="{1 if i else 1.5}"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{escape(_number(value.normalize() if value == value.to_integral() else value))}{unit}</text>"
        )


def _label(parts: list[str], centre: float, label: str) -> None:
    lines = "".join(
        f'<tspan x="{centre:.1f}" dy="{0 if n == 0 else 13}">{escape(line)}</tspan>'
        for n, line in enumerate(label.split("\n"))
    )
    parts.append(f'<text y="{HEIGHT - BOTTOM + 15}" text-anchor="middle">{lines}</text>')


def stacked_bar_chart(
    *, id: str, title: str, desc: str, labels: list[str], segments: list[Segment]
) -> SafeString:
    """One bar per label, its segments stacked (counts); a legend above the plot."""
    count = max(len(labels), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    totals = [sum(s.values[i] for s in segments) for i in range(len(labels))]
    top = nice_ceiling(Decimal(max(totals, default=0)))
    parts = _open(id, title, desc)
    _axis(parts, top)
    slot = plot_w / count
    bar_w = max(slot * 0.7, 1.0)
    # Only some labels fit under many bars: every nth, the others are in the table.
    step = max(1, round(count / 7))
    for i, label in enumerate(labels):
        x = LEFT + i * slot + (slot - bar_w) / 2
        base = float(TOP + plot_h)
        one_line = label.replace("\n", " ")
        for s in segments:
            value = s.values[i]
            h = float(plot_h * Decimal(value) / top) if value > 0 else 0.0
            base -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{s.colour}">'
                f"<title>{escape(f'{one_line}: {s.name} {_number(value)}')}</title></rect>"
            )
        if i % step == 0:
            _label(parts, LEFT + i * slot + slot / 2, label)
    x = LEFT
    for s in segments:
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{s.colour}"/>')
        parts.append(f'<text x="{x + 16}" y="18">{escape(s.name)}</text>')
        x += 30 + 7 * len(s.name)
    parts.append("</g></svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def rate_bar_chart(
    *,
    id: str,
    title: str,
    desc: str,
    labels: list[str],
    rates: list[Decimal | None],
    colours: list[str] | None = None,
) -> SafeString:
    """One bar per label: a percentage (0 to 100; "no data" written where there is none)."""
    count = max(len(labels), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = Decimal(100)
    parts = _open(id, title, desc)
    _axis(parts, top, unit=" %")
    slot = plot_w / count
    bar_w = min(slot * 0.6, 70.0)
    for i, (label, rate) in enumerate(zip(labels, rates, strict=True)):
        x = LEFT + i * slot + (slot - bar_w) / 2
        one_line = label.replace("\n", " ")
        colour = colours[i] if colours else RATE_COLOUR
        if rate is None:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{TOP + plot_h - 6}" text-anchor="middle" '
                f'fill="{MUTED}">–</text>'
            )
        else:
            h = float(plot_h * rate / top)
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(f"{one_line}: {_number(rate)} %")}</title></rect>'
            )
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{TOP + plot_h - h - 4:.1f}" text-anchor="middle">'
                f"{escape(_number(rate))} %</text>"
            )
        _label(parts, LEFT + i * slot + slot / 2, label)
    parts.append("</g></svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
