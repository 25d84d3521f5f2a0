"""What a stored value and the WCO message can hold: the schema's limits and the columns'."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations

from declarations import catalogue
from declarations.canonical import (
    DeclarationData,
    DocumentData,
    ItemData,
    PartyData,
    TaxLineData,
)
from declarations.catalogue import TextLimit
from declarations.models import Declaration, Document, GoodsItem, ItemTaxLine, Party

# SQLite, the embedded default, stores a DecimalField as REAL (a double). Django reads it back
# through a 15-digit context and quantizes it to the column's decimal places within its
# max_digits, so a value with more digits reads back wrong (9999999999999.999 as
# 10000000000000.000) or raises InvalidOperation on every read of the declaration (99999999999999
# in a 16,3 column). A double keeps any 15 significant digits exactly, so the rules accept at most
# 15 digits, decimal places included, whatever the column allows; PostgreSQL's numeric columns
# hold them exactly too. The columns keep their width (16 and 18 digits): narrowing them would
# rewrite the largest tables for nothing, and this cap is the one place that decides.
STORABLE_DIGITS = 15
# Numbers whose own rule already refuses what the column cannot hold: the item number must be 1
# to 999 (``item_sequence_range``); negative masses and package counts have their own errors.
NUMBERS_WITH_OWN_RANGE = frozenset({"sequence"})
NUMBERS_WITH_OWN_NEGATIVE_RULE = frozenset({"net_mass", "gross_mass", "package_count"})


# What the UK CDS DMS schema lets the element the XML writer puts each canonical text field in
# carry (its maxLength or length, and its pattern where that is narrower than "some text on one
# line"), from the field catalogue (``declarations.catalogue``), whose facets
# tests/declarations/rules/test_schema_limits.py reads back from the XSD through the writer's
# paths. Where the column that stores a field is shorter, the column decides (``text_limits``):
# what is accepted is stored and written whole.
SCHEMA_TEXT_LIMITS: dict[type, dict[str, TextLimit]] = {
    record: {e.attr: e.text for e in catalogue.elements_of(record) if e.text is not None and not e.own_format}
    for record in catalogue.RECORDS
}
# Text fields whose own rule admits only short ASCII codes the schema takes (a pattern: LRN, EORI,
# commodity, procedure and document codes; or a code list whose codes all have the shape the
# schema asks for: countries, currencies, offices, package types), so the generic check leaves
# them to it rather than reporting the same value twice.
TEXT_WITH_OWN_FORMAT: dict[type, frozenset[str]] = {
    record: frozenset(e.attr for e in catalogue.elements_of(record) if e.own_format)
    for record in catalogue.RECORDS
}

# The schema's totalDigits and fractionDigits for each number the writer puts in the message, where
# the column that stores it does not already keep it within them (the tighter limit applies). The
# item number (1 to 999) and the total number of items (equal to the number of items, at most 999)
# have rules of their own that keep them within the schema's five digits.
SCHEMA_DIGITS: dict[type, dict[str, tuple[int, int]]] = {
    record: {e.attr: e.digits for e in catalogue.elements_of(record) if e.digits is not None}
    for record in catalogue.RECORDS
}
NUMBERS_WITH_OWN_DIGITS = frozenset(
    e.attr
    for record in catalogue.RECORDS
    for e in catalogue.elements_of(record)
    if catalogue.is_number(e) and e.digits is None
)


@dataclass(frozen=True)
class NumberLimit:
    """The largest value a column holds and the decimal places it keeps (0 for integers).

    For a number the XML writer puts in the message, the schema's limits are folded in
    (``_with_schema_digits``): ``total_digits`` is its totalDigits, and ``largest_from_schema`` says
    that the schema, not the column, sets the largest value.
    """

    largest: Decimal | int
    decimal_places: int
    total_digits: int | None = None
    largest_from_schema: bool = False


def number_limit(column: models.Field) -> NumberLimit | None:
    """What a numeric model field can store on every supported database; ``None`` if not numeric."""
    if isinstance(column, models.DecimalField):
        places = column.decimal_places
        digits = min(column.max_digits, STORABLE_DIGITS)
        return NumberLimit(Decimal(10) ** (digits - places) - Decimal(1).scaleb(-places), places)
    if isinstance(column, models.IntegerField):
        # The range every backend guarantees for the column's type (PostgreSQL's; SQLite's INTEGER
        # is wider, but refuses to bind a Python int beyond 64 bits at all).
        _lowest, largest = BaseDatabaseOperations.integer_field_ranges[column.get_internal_type()]
        return NumberLimit(largest, 0)
    return None


def _with_schema_digits(limit: NumberLimit, digits: tuple[int, int] | None) -> NumberLimit:
    """The tighter of a column's limit and the schema's totalDigits and fractionDigits."""
    if digits is None:
        return limit
    total, places = digits
    schema_largest: Decimal | int = (
        10**total - 1 if isinstance(limit.largest, int) else Decimal(10) ** total - 1
    )
    return NumberLimit(
        largest=min(limit.largest, schema_largest),
        decimal_places=min(limit.decimal_places, places),
        total_digits=total,
        largest_from_schema=schema_largest < limit.largest,
    )


# Each canonical record and the model that stores it, field for field (``services._store``).
_STORED_AS: dict[
    type[models.Model], type[DeclarationData | ItemData | DocumentData | PartyData | TaxLineData]
] = {
    Declaration: DeclarationData,
    GoodsItem: ItemData,
    Document: DocumentData,
    Party: PartyData,
    ItemTaxLine: TaxLineData,
}


def _column(model: type[models.Model], name: str) -> models.Field | None:
    try:
        column = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return column if isinstance(column, models.Field) else None


@functools.cache
def number_limits(model: type[models.Model]) -> Mapping[str, NumberLimit]:
    """The numeric fields of the canonical record ``model`` stores, with their limits.

    A column's limit, tightened to the schema's digits for the numbers the XML writer sends.
    """
    record = _STORED_AS[model]
    columns: dict[str, NumberLimit] = {}
    for name in (f.name for f in dataclasses.fields(record)):
        if name in NUMBERS_WITH_OWN_RANGE:
            continue
        column = _column(model, name)
        if column is not None and (limit := number_limit(column)) is not None:
            columns[name] = _with_schema_digits(limit, SCHEMA_DIGITS.get(record, {}).get(name))
    return columns


@functools.cache
def text_limits(model: type[models.Model]) -> Mapping[str, TextLimit]:
    """The schema's limits for the text fields of the record ``model`` stores, cut to its columns."""
    limits: dict[str, TextLimit] = {}
    for name, limit in SCHEMA_TEXT_LIMITS[_STORED_AS[model]].items():
        column = _column(model, name)
        if isinstance(column, models.CharField) and column.max_length is not None:
            limit = dataclasses.replace(limit, max_length=min(limit.max_length, column.max_length))
        limits[name] = limit
    return limits
