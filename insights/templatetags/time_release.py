"""``duration``: seconds as people read them (45 s, 12 min, 3 h 05 min, 2 d 4 h)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """A duration for the tables and charts; "–" when there is none. The spaces do not break: a
    duration never wraps in a narrow column."""
    return _duration(seconds).replace(" ", "\u00a0")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    s = round(float(seconds))
    if s < 60:
        return _("%(s)d s") % {"s": s}
    if s < 3600:
        return _("%(m)d min") % {"m": round(s / 60)}
    if s < 86400:
        h, m = divmod(round(s / 60), 60)
        return _("%(h)d h %(m)02d min") % {"h": h, "m": m}
    d, h = divmod(round(s / 3600), 24)
    return _("%(d)d d %(h)d h") % {"d": d, "h": h}


@register.filter
def hours(seconds: float | None) -> str:
    """Hours with two decimals, for the CSV files and the open data ("" when there is none)."""
    return "" if seconds is None else f"{float(seconds) / 3600:.2f}"
