"""The scorecard's sparklines: a week-by-week line drawn on the server as SVG (no script, no CDN).

An image with a ``<title>`` and a ``<desc>`` that lists every week's value in words (what a screen
reader reads); presentation attributes only (the Content-Security-Policy refuses inline styles);
every text escaped here.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from payments.charts import GRID, INK

WIDTH, HEIGHT, PAD = 160, 40, 4


def sparkline(
    *, id: str, title: str, labels: list[str], values: list[float | None], texts: list[str]
) -> SafeString:
    """One point per week (``labels``), joined where both weeks have a value; ``texts`` are the
    values as the page writes them (for the description)."""
    desc = "; ".join(f"{label}: {text}" for label, text in zip(labels, texts, strict=True))
    known = [v for v in values if v is not None]
    parts = [
        f'<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{id}-title {id}-desc" focusable="false">',
        f'<title id="{id}-title">{escape(title)}</title>',
        f'<desc id="{id}-desc">{escape(desc)}</desc>',
        f'<line x1="0" x2="{WIDTH}" y1="{HEIGHT - PAD}" y2="{HEIGHT - PAD}" stroke="{GRID}"/>',
    ]
    if known:
        low, high = min(known + [0.0]), max(known)
        spread = (high - low) or 1.0
        step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)

        def point(i: int, v: float) -> tuple[float, float]:
            return PAD + i * step, HEIGHT - PAD - (HEIGHT - 2 * PAD) * (v - low) / spread

        run: list[str] = []
        for i, v in enumerate(values):
            if v is None:
                if len(run) > 1:
                    parts.append(_line(run))
                run = []
                continue
            x, y = point(i, v)
            run.append(f"{x:.1f},{y:.1f}")
        if len(run) > 1:
            parts.append(_line(run))
        last = max(i for i, v in enumerate(values) if v is not None)
        x, y = point(last, values[last] or 0.0)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{INK}"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _line(points: list[str]) -> str:
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="#1d70b8" stroke-width="2"/>'
