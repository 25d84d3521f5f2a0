"""Duties and taxes a goods item declares (DE 4/3-4/8, one WCO DutyTaxFee each) and its preference.

The trader's own figures are checked for what a message can carry (texts, numbers, currencies) and
against the code lists; whether they are right is for the portal's assessment to say, which
compares them and shows the difference (the ``payments`` app), never replacing them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from declarations import refdata
from declarations.canonical import Issue, ItemData, TaxLineData
from declarations.models import ItemTaxLine

from .base import _error, _warning
from .codes import _check_currency
from .numbers import _check_numbers
from .texts import _check_texts

# The DE 4/8 and DE 4/3 lists are partial (``refdata/sources``): a code missing from them is
# reported, not refused, until the administration completes them as reference codes.


def _check_tax_lines(prefix: str, where: str, item: ItemData) -> Iterable[Issue]:
    for position, line in enumerate(item.tax_lines, start=1):
        field = f"{prefix}.tax_lines.{position}"
        here = _("%(where)s, tax line %(position)s") % {"where": where, "position": position}
        if line == TaxLineData():
            # Written as an empty DutyTaxFee it would vanish when the message is read back.
            yield _error(
                "tax_line_blank",
                field,
                _("%(where)s is empty; fill it in or leave it out.") % {"where": here},
            )
            continue
        yield from _check_texts(field, here, line)
        yield from _check_numbers(field, here, line, ItemTaxLine)
        if line.base_currency:
            yield from _check_currency(f"{field}.base_currency", line.base_currency)
        if line.base_amount is not None and not line.base_currency:
            yield _error(
                "tax_base_currency_missing",
                f"{field}.base_currency",
                _(
                    "%(where)s has a tax base amount without a currency: declare its currency code (for "
                    "example GBP)."
                )
                % {"where": here},
            )
        if line.tax_type and len(line.tax_type) == 3 and refdata.tax_type(line.tax_type) is None:
            yield _warning(
                "tax_type_unlisted",
                f"{field}.tax_type",
                _(
                    "%(where)s has tax type %(code)s, which is not in the list of tax types; check the "
                    "code (for example A00 customs duty, B00 VAT)."
                )
                % {"where": here, "code": line.tax_type},
            )
        method = line.method_of_payment
        if method and method.isalpha() and len(method) == 1 and refdata.payment_method(method) is None:
            yield _warning(
                "payment_method_unlisted",
                f"{field}.method_of_payment",
                _(
                    "%(where)s has method of payment %(code)s, which is not in the list of methods of "
                    "payment; check the code (for example E, deferment account)."
                )
                % {"where": here, "code": method},
            )
