"""Drafts as the form reads them: a lodged declaration copied into a draft, numbers in a language.

A draft holds the form's input by field name (``payload_from_post``). A copy of a lodged
declaration is written the same way from its canonical data, so it opens in the form like any
draft: without its LRN (a new declaration needs a new one) and with what the form can hold; data
the form has no field for (a TARIC code, packages, a delivery place) is not carried into the copy.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import translation

from declarations.canonical import DeclarationData, DocumentData, DocumentKind, ItemData, PartyRole

from .documents import DECLARATION_DOCUMENTS, ITEM_DOCUMENTS, PREVIOUS_DOCUMENTS
from .fields import MAX_DOCUMENTS
from .header import DeclarationForm
from .items import GoodsItemForm
from .numbers import LANGUAGE_KEY, NumberField, format_number, numbers_in_language
from .parties import PARTY_FIELDS, party_roles
from .taxes import MAX_TAX_LINES, TAX_LINE_ROWS, TAX_ROWS, tax_field, tax_line_fields, tax_rows_in


def number_fields(form_class: type[forms.Form]) -> list[str]:
    """The fields that read numbers in the page's language (``NumberField``)."""
    return [name for name, field in form_class.base_fields.items() if isinstance(field, NumberField)]


def draft_for_page(payload: dict[str, Any] | None, language: str | None = None) -> dict[str, Any] | None:
    """A draft's payload with its numbers written for the page's language (see ``numbers``)."""
    if not payload:
        return payload
    # The item's tax line rows are fields of the form, not of the class: as many as any item has.
    tax_rows = max(
        (tax_rows_in(row) for row in payload.get("items") or [] if isinstance(row, dict)), default=0
    )
    item_fields = GoodsItemForm(tax_rows=tax_rows).fields
    return numbers_in_language(
        payload,
        header=number_fields(DeclarationForm),
        item=[name for name, field in item_fields.items() if isinstance(field, NumberField)],
        target=language or translation.get_language() or "en",
    )


def with_language(payload: dict[str, Any], language: str | None = None) -> dict[str, Any]:
    """``payload`` marked with the language its numbers are typed in."""
    return {**payload, LANGUAGE_KEY: language or translation.get_language() or "en"}


def _text(value: Any, field: forms.Field) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        # As the field reads it: grouped in the page's language, or plain for a plain decimal field.
        return format_number(value) if isinstance(field, NumberField) else f"{value:f}"
    return str(value)


def _simple(data: Any, form_class: type[forms.Form]) -> dict[str, str]:
    """The form's fields that bear the canonical attribute's own name (``invoice_currency``)."""
    return {
        name: _text(getattr(data, name), field)
        for name, field in form_class.base_fields.items()
        if hasattr(data, name) and not isinstance(getattr(data, name), list)
    }


def _rows(stem_list: Any, documents: list[DocumentData]) -> dict[str, str]:
    values: dict[str, str] = {}
    for n, document in enumerate(documents[:MAX_DOCUMENTS], start=1):
        values[stem_list.code_field(n)] = document.code
        values[stem_list.reference_field(n)] = document.reference
    for n in range(len(documents) + 1, stem_list.min_rows + 1):
        values[stem_list.code_field(n)] = values[stem_list.reference_field(n)] = ""
    return values


def _tax_rows(item: ItemData) -> dict[str, str]:
    values: dict[str, str] = {}
    for n in range(1, max(len(item.tax_lines), TAX_ROWS) + 1):
        line = item.tax_lines[n - 1] if n <= min(len(item.tax_lines), MAX_TAX_LINES) else None
        fields = tax_line_fields(n)
        for row in TAX_LINE_ROWS:
            assert row.form is not None
            name = tax_field(n, row.form.name)
            values[name] = _text(getattr(line, row.attr), fields[name]) if line is not None else ""
    return values


def _item(item: ItemData) -> dict[str, str]:
    row = _simple(item, GoodsItemForm)
    row["additional_procedure_code"] = " ".join(item.additional_procedure_codes)
    row.update(_rows(ITEM_DOCUMENTS, item.documents))
    row.update(_tax_rows(item))
    return row


def payload_from_data(data: DeclarationData) -> dict[str, Any]:
    """The form's input for ``data``, as a draft holds it, without the LRN."""
    header = _simple(data, DeclarationForm)
    header["lrn"] = ""
    parties = {party.role: party for party in data.parties}
    declarant = parties.get(PartyRole.DECLARANT)
    header["declarant_eori"] = declarant.eori if declarant else ""
    trader_role, counterpart_role = party_roles(data.type_code)
    for prefix, role in (("trader", trader_role), ("counterpart", counterpart_role)):
        party = parties.get(role)
        for name in PARTY_FIELDS:
            header[f"{prefix}_{name}"] = getattr(party, name) if party else ""
    is_export = data.type_code == "EX"
    header["transport_id"] = data.departure_transport_id if is_export else data.arrival_transport_id
    header["transport_id_type"] = (
        data.departure_transport_id_type if is_export else data.arrival_transport_id_type
    )
    header.update(_rows(PREVIOUS_DOCUMENTS, [d for d in data.documents if d.kind == DocumentKind.PREVIOUS]))
    header.update(
        _rows(DECLARATION_DOCUMENTS, [d for d in data.documents if d.kind == DocumentKind.ADDITIONAL])
    )
    return with_language({**header, "items": [_item(item) for item in data.items]})
