"""A goods item's duties and taxes on the form: its preference, valuation indicators and tax lines.

Each tax line (DE 4/3-4/8, a WCO DutyTaxFee) is a row of fields ``tax_<n>_<name>``, one per field
catalogue row of ``TaxLineData`` with a ``FormSpec`` (tax type, base, rate, amounts, method of
payment, quota order). An item shows ``TAX_ROWS`` rows at least, or as many as the page it came
from (or its draft) had; "Add another tax line" adds one at a time, without JavaScript. A row left
entirely blank is no tax line.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from declarations import catalogue
from declarations.canonical import ItemData, TaxLineData

from .fields import form_field
from .values import _Values, readable_values

# Rows a goods item shows at least: customs duty and VAT, the two lines most imports declare.
TAX_ROWS = 2
# DutyTaxFee may repeat without limit in the schema; HMRC's samples carry at most 4 on one item.
MAX_TAX_LINES = 99
# The duties part's own item fields (``FormSpec.section``), shown with the tax lines.
DUTIES_SECTION = "duties"
DUTY_ITEM_ROWS = [
    row
    for row in catalogue.elements_of(ItemData)
    if row.form is not None and row.form.section == DUTIES_SECTION
]
TAX_LINE_ROWS = [row for row in catalogue.elements_of(TaxLineData) if row.form is not None]
ADD_TAX_LINE = "add_tax_line"


def tax_field(n: int, name: str) -> str:
    """The form field of row ``n``'s element ``name`` (the row's ``FormSpec.name``): ``tax_2_rate``."""
    return f"tax_{n}_{name}"


@functools.cache
def _tax_field_pattern() -> re.Pattern[str]:
    names = "|".join(re.escape(row.form.name) for row in TAX_LINE_ROWS if row.form is not None)
    # At most two digits: a longer number is no row of ours.
    return re.compile(rf"tax_(\d{{1,2}})_({names})")


def tax_rows_in(names: Iterable[str]) -> int:
    """How many tax line rows field names (posted or saved) hold: the highest row number, but never
    more rows than the names speak of (a crafted ``tax_99_rate`` alone builds no 99 rows)."""
    pattern = _tax_field_pattern()
    numbers = {int(m[1]) for name in names if (m := pattern.fullmatch(name))}
    return min(max(numbers, default=0), len(numbers))


def tax_row_count(rows: int) -> int:
    return min(max(rows, TAX_ROWS), MAX_TAX_LINES)


def with_another_tax_row(values: dict[str, Any]) -> None:
    """Add one empty tax line row to an item's saved form values."""
    n = max(tax_rows_in(values), TAX_ROWS) + 1
    if n <= MAX_TAX_LINES:
        values.update({tax_field(n, row.form.name): "" for row in TAX_LINE_ROWS if row.form is not None})


def tax_line_fields(n: int) -> dict[str, forms.Field]:
    """The fields of tax line row ``n``, from the catalogue rows (labels, limits, code lists)."""
    return {tax_field(n, row.form.name): form_field(row) for row in TAX_LINE_ROWS if row.form is not None}


@dataclass
class TaxLineRow:
    """One tax line row as the page shows it."""

    number: int
    id: str  # of its legend
    fields: list[forms.BoundField]


class TaxLinesForm(forms.Form):
    """A form with a goods item's tax line rows (mixed into ``GoodsItemForm``)."""

    tax_row_count: int = 0

    def _add_tax_fields(self, rows: int) -> None:
        self.tax_row_count = tax_row_count(rows)
        for n in range(1, self.tax_row_count + 1):
            self.fields.update(tax_line_fields(n))

    def duty_fields(self) -> list[forms.BoundField]:
        return [self[row.form.name] for row in DUTY_ITEM_ROWS if row.form is not None]

    def tax_line_rows(self) -> list[TaxLineRow]:
        return [
            TaxLineRow(
                number=n,
                id=f"{self.prefix}-tax-{n}",
                fields=[self[tax_field(n, row.form.name)] for row in TAX_LINE_ROWS if row.form is not None],
            )
            for n in range(1, self.tax_row_count + 1)
        ]

    def tax_summary_label(self, field: forms.BoundField) -> str | None:
        """How the error summary names a tax line field ("Tax line 2, Tax rate"); None for others."""
        m = _tax_field_pattern().fullmatch(field.name)
        if m is None:
            return None
        return str(_("Tax line %(n)s, %(label)s") % {"n": m[1], "label": field.label})

    @property
    def add_tax_line_action(self) -> str:
        """The value of the button that adds a row (``add_tax_line:items-2``); empty once full."""
        return f"{ADD_TAX_LINE}:{self.prefix}" if self.tax_row_count < MAX_TAX_LINES else ""

    def lodged_tax_rows(self) -> list[int]:
        """The rows that make tax lines (those with any value), in order: the rules number them so."""
        values = readable_values(self)
        return [
            n
            for n in range(1, self.tax_row_count + 1)
            if any(
                values.get(tax_field(n, row.form.name)) not in (None, "")
                for row in TAX_LINE_ROWS
                if row.form is not None
            )
        ]

    def tax_lines_data(self) -> list[TaxLineData]:
        values = _Values(readable_values(self))
        lines = []
        for n in self.lodged_tax_rows():
            found: dict[str, Any] = {}
            for row in TAX_LINE_ROWS:
                assert row.form is not None
                name = tax_field(n, row.form.name)
                number = catalogue.value_type(row) == Decimal | None
                found[row.attr] = values.decimal(name) if number else values.text(name)
            lines.append(TaxLineData(**found))
        return lines
