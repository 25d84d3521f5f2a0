"""``{{ value|number }}``: a quantity, mass or amount exactly as stored, grouped in the page's language."""

from __future__ import annotations

from decimal import Decimal

from django import template

from declarations.forms.numbers import format_number

register = template.Library()


@register.filter
def number(value: Decimal | int | float | str | None) -> str:
    """``1,234.567`` in English, ``1 234,567`` in French; never rounded (``floatformat`` would)."""
    return format_number(value)
