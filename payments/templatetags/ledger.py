"""``{{ value|amount }}``: money as the page's language writes it, always with its minor unit.

``1,234.50`` in English, ``1 234,50`` in French; the value is already rounded to its currency
(``payments.money.quantize``), so this only groups and places the decimal mark, never rounds again.
Reads only.
"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import formats

from ..money import quantize

register = template.Library()


@register.filter
def amount(value: Decimal | int | None) -> str:
    if value is None or value == "":
        return ""
    value = Decimal(value)
    exponent = value.as_tuple().exponent
    places = max(-exponent, 0) if isinstance(exponent, int) else 0
    return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def negate(value: Decimal | None) -> Decimal | None:
    return None if value is None else -value


@register.filter
def money(value: Decimal | None, currency: str) -> Decimal | None:
    """``value`` rounded to ``currency``'s minor unit (the database keeps three places)."""
    return None if value is None else quantize(Decimal(value), currency)
