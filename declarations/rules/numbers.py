"""Numbers: not negative, and within what the column and the schema element hold."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext as _

from declarations import catalogue
from declarations.canonical import (
    DeclarationData,
    DocumentData,
    Issue,
    ItemData,
    TaxLineData,
)

from .base import _error
from .limits import NUMBERS_WITH_OWN_NEGATIVE_RULE, number_limits


def _number_label(record: type, name: str) -> str:
    """How a message names a number: its label in the field catalogue."""
    return str(catalogue.element_of(record, name).label)


def _check_numbers(
    prefix: str,
    where: str,
    record: DeclarationData | ItemData | DocumentData | TaxLineData,
    model: type[models.Model],
) -> Iterable[Issue]:
    """Each number of ``record`` (a canonical dataclass) is not negative and fits its ``model`` column
    and the schema element the XML writer puts it in."""
    for name, limit in number_limits(model).items():
        value = getattr(record, name)
        if value is None:
            continue
        field = f"{prefix}.{name}" if prefix else name
        label = _number_label(type(record), name)
        if value < 0:
            # Negative values are refused either way (here or by the field's own rule), so they are
            # never stored whatever their size.
            if name not in NUMBERS_WITH_OWN_NEGATIVE_RULE:
                yield _error(
                    "value_negative",
                    field,
                    _("%(where)s: the %(label)s cannot be negative; declare zero or more.")
                    % {"where": where, "label": label},
                )
            continue
        if value > limit.largest and limit.largest_from_schema:
            yield _error(
                "value_too_large",
                field,
                _(
                    "%(where)s: the %(label)s is larger than a customs declaration allows; declare at "
                    "most %(largest)s."
                )
                % {"where": where, "label": label, "largest": _plain(limit.largest)},
            )
        elif value > limit.largest:
            yield _error(
                "value_too_large",
                field,
                _(
                    "%(where)s: the %(label)s is larger than the portal can store; declare at most "
                    "%(largest)s."
                )
                % {"where": where, "label": label, "largest": _plain(limit.largest)},
            )
        elif _decimal_places(value) > limit.decimal_places:
            yield _error(
                "too_many_decimals",
                field,
                _("%(where)s: the %(label)s %(value)s has more than %(places)s decimal places; round it.")
                % {"where": where, "label": label, "value": value, "places": limit.decimal_places},
            )
        elif limit.total_digits is not None and (digits := _digit_count(value)) > limit.total_digits:
            # The schema counts the digits before and after the point together: an exchange rate
            # takes 12, at most 5 of them decimals, so 12345678.12345 fits neither way.
            yield _error(
                "too_many_digits",
                field,
                _(
                    "%(where)s: the %(label)s %(value)s has %(digits)s digits; a customs declaration "
                    "allows at most %(total)s, so round it."
                )
                % {
                    "where": where,
                    "label": label,
                    "value": _plain(value),
                    "digits": digits,
                    "total": limit.total_digits,
                },
            )


def _decimal_places(value: Decimal | int) -> int:
    if not isinstance(value, Decimal):
        return 0
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _digit_count(value: Decimal | int) -> int:
    """The digits of a number as the schema's totalDigits counts them: no leading or trailing zeros."""
    if not isinstance(value, Decimal):
        return len(str(abs(value)))
    _sign, digits, exponent = value.normalize().as_tuple()
    return len(digits) + max(exponent, 0) if isinstance(exponent, int) else len(digits)


def _plain(amount: Decimal | int) -> str:
    return format(amount, "f") if isinstance(amount, Decimal) else str(amount)
