"""The field catalogue: one row per data element, and everything the channels derive from it.

A row (``Element``) says, once, what a data element is: its DE number, its label, the attribute of
the canonical structure that holds it (``DeclarationData``, ``ItemData``, ``PartyData``,
``DocumentData``, ``TaxLineData``), where it sits in a WCO DMS message, what the schema lets it
carry, the column that stores it, how the browser form shows it, and in which declaration
categories it is required.

From the rows come the browser form's fields (``declarations.forms``), the JSON API's input
serializers (``declarations.api.serializers``), the XML reader's and writer's paths and the error
pointers (``declarations.wco.paths``), the limits and labels the rules quote
(``declarations.rules``), and the labels of a field-by-field difference (``label_for``). Adding a
data element means adding a row here, a field to the canonical dataclass, and where it is stored a
column (a migration) and where it is required a rule.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import typing
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from declarations.canonical import DeclarationData, DocumentData, ItemData, PartyData, PartyRole, TaxLineData

from .elements import (
    ARRIVAL,
    CONSIGNMENT,
    DEPARTURE,
    DOCUMENTS,
    GOODS_LOCATION,
    GOODS_SHIPMENT,
    HEADER,
    HEADER_DOCUMENTS,
    ITEM,
    ITEM_DOCUMENTS,
    ITEMS,
    PARTY,
    PREFERENCE,
    ROLES,
    TAX_LINE,
    TAX_LINES,
)
from .model import Element, FormSpec, Path, Record, TextLimit, Widget, WidgetKind

__all__ = [
    "ARRIVAL",
    "CONSIGNMENT",
    "DEPARTURE",
    "ELEMENTS",
    "GOODS_LOCATION",
    "GOODS_SHIPMENT",
    "HEADER_DOCUMENTS",
    "ITEM",
    "ITEM_DOCUMENTS",
    "RECORDS",
    "PREFERENCE",
    "ROLES",
    "TAX_LINE",
    "Element",
    "FormSpec",
    "Path",
    "Record",
    "TextLimit",
    "Widget",
    "WidgetKind",
    "column",
    "element",
    "element_of",
    "elements_of",
    "json_length",
    "key_of",
    "label_for",
    "max_length",
    "required_in",
]

RECORDS: tuple[Record, ...] = (DeclarationData, PartyData, ItemData, DocumentData, TaxLineData)

_ROWS: dict[Record, tuple[Element, ...]] = {
    DeclarationData: HEADER,
    ItemData: ITEMS,
    PartyData: PARTY,
    DocumentData: DOCUMENTS,
    TaxLineData: TAX_LINES,
}

# Every element by its key: the header's, the items', the documents' (an item's documents share
# them) and each party attribute of each role (``parties.importer.eori``).
ELEMENTS: dict[str, Element] = {
    e.key: e
    for e in (
        *HEADER,
        *ITEMS,
        *DOCUMENTS,
        *TAX_LINES,
        *(
            attribute.for_role(role.value, info.id_de, info.id_form or attribute.form)
            if attribute.attr == "eori"
            else attribute.for_role(role.value, info.name_de, attribute.form)
            for role, info in ROLES.items()
            for attribute in PARTY
        ),
    )
}


def elements_of(record: Record) -> tuple[Element, ...]:
    """The rows of one canonical record, in its order (a party's: one row per attribute)."""
    return _ROWS[record]


@functools.cache
def element_of(record: Record, attr: str) -> Element:
    """The row of attribute ``attr`` of ``record``; ``KeyError`` when the catalogue has none."""
    for row in _ROWS[record]:
        if row.attr == attr:
            return row
    raise KeyError(f"{record.__name__}.{attr}")


def key_of(path: str) -> str:
    """The catalogue key of a canonical path, positions dropped: ``items.2.net_mass`` → ``items.net_mass``."""
    return ".".join(part for part in path.split(".") if part and not part.isdigit())


def element(path: str) -> Element | None:
    """The row a canonical path (``items.2.net_mass``, ``parties.importer.eori``) is about, if any."""
    key = key_of(path)
    if key.startswith("items.documents."):
        key = key.removeprefix("items.")
    return ELEMENTS.get(key)


def required_in(key: str) -> tuple[str, ...]:
    """The declaration categories that require the element ``key`` (from ``declarations.categories``).

    The requirement data and the category taxonomy are that module's; until it is there, none.
    """
    try:
        categories: Any = importlib.import_module("declarations.categories")
    except ImportError:
        return ()
    requiring = getattr(categories, "categories_requiring", None)
    return tuple(requiring(key)) if requiring is not None else ()


# --- the column and the limits -------------------------------------------------------------------


@functools.cache
def _models() -> dict[Record, type[models.Model]]:
    from declarations.models import Declaration, Document, GoodsItem, ItemTaxLine, Party

    return {
        DeclarationData: Declaration,
        ItemData: GoodsItem,
        DocumentData: Document,
        PartyData: Party,
        TaxLineData: ItemTaxLine,
    }


def stored_in(record: Record) -> type[models.Model]:
    """The model that stores a canonical record, field for field (``services._store``)."""
    return _models()[record]


def column(row: Element) -> models.Field | None:
    """The model field that stores the element, if it has one of its own."""
    try:
        field = stored_in(row.record)._meta.get_field(row.attr)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def max_length(row: Element) -> int | None:
    """The longest text the portal accepts for the element: the tighter of schema and column.

    For a list of codes, the longest entry. ``None`` for numbers and flags.
    """
    lengths = [row.text.max_length] if row.text is not None else []
    stored = column(row)
    if isinstance(stored, models.CharField) and stored.max_length is not None:
        lengths.append(stored.max_length)
    if row.max_length is not None:
        lengths.append(row.max_length)
    return min(lengths) if lengths else None


def json_length(row: Element) -> int | None:
    """The longest text the JSON input takes while parsing (the rules decide what is accepted)."""
    return row.parse_length or max_length(row)


def value_type(row: Element) -> Any:
    """The canonical attribute's type: ``str``, ``list[str]``, ``Decimal | None``, ``int | None`` ..."""
    return _hints(typing.cast(type, row.record))[row.attr]


@functools.cache
def _hints(record: type) -> dict[str, Any]:
    return typing.get_type_hints(record)


def is_text(row: Element) -> bool:
    return value_type(row) in (str, list[str])


def is_number(row: Element) -> bool:
    return value_type(row) in (Decimal | None, int | None)


def canonical_fields(record: Record) -> list[str]:
    """The attributes of a canonical record that are data elements (not roles, kinds or lists of records)."""
    nested = {"parties", "documents", "items", "tax_lines", "role", "kind"}
    return [f.name for f in dataclasses.fields(record) if f.name not in nested]


# --- labels ---------------------------------------------------------------------------------------


def label_for(path: str) -> str:
    """How a person is told which field a canonical path is, for a difference or a message.

    ``items.2.net_mass`` → "Goods item 2, net mass"; ``parties.importer.eori`` → "Importer, EORI
    number"; ``items.1.documents.2.code`` → "Goods item 1, document 2, document type";
    ``items.1.tax_lines.2.method_of_payment`` → "Goods item 1, tax line 2, method of payment"; ``lrn`` →
    "Local reference number (LRN)". A path the catalogue does not know is returned as it is.
    """
    parts = [p for p in path.split(".") if p]
    where: list[str] = []
    prefix = ""
    if parts[:1] == ["items"]:
        if len(parts) == 1:
            return capfirst(_("goods items"))
        if not parts[1].isdigit():
            return path
        where.append(_("Goods item %(n)s") % {"n": parts[1]})
        parts, prefix = parts[2:], "items."
    if prefix == "items." and parts[:1] == ["tax_lines"]:
        if len(parts) >= 2 and parts[1].isdigit():
            where.append(_("tax line %(n)s") % {"n": parts[1]})
            parts = parts[2:]
        else:
            parts = parts[1:]
            if not parts:
                where.append(_("duties and taxes"))
        prefix = "items.tax_lines."
    elif parts[:1] == ["documents"]:
        if len(parts) >= 2 and parts[1].isdigit():
            where.append(_("document %(n)s") % {"n": parts[1]})
            parts = parts[2:]
        else:
            parts = parts[1:]
            if not parts:
                where.append(_("documents"))
        prefix = "documents."
    elif parts[:1] == ["parties"] and len(parts) >= 2:
        try:
            role = PartyRole(parts[1])
        except ValueError:
            return path
        where.append(str(ROLES[role].label))
        parts, prefix = parts[2:], f"parties.{role.value}."
    position = parts.pop() if parts and parts[-1].isdigit() else ""
    if parts:
        row = element(prefix + ".".join(parts))
        if row is None:
            return path
        where.append(f"{row.label} {position}" if position else str(row.label))
    return capfirst(", ".join(where)) if where else path


def labels(rows: Iterable[Element]) -> dict[str, str]:
    """The labels of rows by attribute (a record's rows have distinct attributes)."""
    return {row.attr: str(row.label) for row in rows}
