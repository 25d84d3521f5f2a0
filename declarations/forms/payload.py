"""Building the forms from a request, a draft or nothing, and the canonical declaration from them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import QueryDict

from declarations import catalogue
from declarations.canonical import (
    DeclarationData,
    ItemData,
    PartyData,
    PartyRole,
)

from .documents import ADD_DOCUMENT, DECLARATION_TARGET, ITEM_DOCUMENTS, DocumentList
from .fields import DOCUMENT_ROWS, ITEMS_PREFIX
from .header import DeclarationForm, header_rows
from .items import (
    ITEM_ROWS,
    BaseGoodsItemFormSet,
    GoodsItemForm,
    GoodsItemFormSet,
    posted_document_rows,
    posted_tax_rows,
)
from .parties import _party, party_roles
from .taxes import ADD_TAX_LINE, with_another_tax_row
from .values import _Values, readable_values

# ---------------------------------------------------------------------------------------------
# Building the forms from a request, a draft or nothing


def header_field_names(present: Iterable[str] = ()) -> list[str]:
    """The header's field names, with as many document rows as ``present`` (posted or saved names) holds."""
    names = list(present)
    rows = {documents.stem: documents.rows_in(names) for documents in DeclarationForm.DOCUMENT_LISTS}
    return list(DeclarationForm(document_rows=rows).fields)


def item_field_names(document_rows: int = DOCUMENT_ROWS, tax_rows: int = 0) -> list[str]:
    return list(GoodsItemForm(prefix="x", document_rows=document_rows, tax_rows=tax_rows).fields)


def payload_from_post(data: QueryDict, *, keep_blank_items: bool = False) -> dict[str, Any]:
    """The form's raw input as a JSON-able dict, so a draft resumes exactly as the trader left it.

    Items left entirely blank are dropped unless ``keep_blank_items`` (the page is only being
    re-shown, so the items keep their positions).
    """
    header = {name: data.get(name, "").strip() for name in header_field_names(data)}
    try:
        total = min(int(data.get(f"{ITEMS_PREFIX}-TOTAL_FORMS", "0")), 999)
    except ValueError:
        total = 0
    rows = posted_document_rows(data)
    tax_rows = posted_tax_rows(data)
    items = []
    for i in range(max(total, 0)):
        names = item_field_names(rows.get(i, 0), tax_rows.get(i, 0))
        row = {name: data.get(f"{ITEMS_PREFIX}-{i}-{name}", "").strip() for name in names}
        if keep_blank_items or any(row.values()):
            items.append(row)
    # Flat header fields: the draft service reads the LRN from ``payload["lrn"]``.
    return {**header, "items": items}


ADD_DOCUMENT_ACTION = re.compile(
    rf"{ADD_DOCUMENT}:(?:{ITEMS_PREFIX}-(?P<item>\d{{1,3}})|{DECLARATION_TARGET}-(?P<stem>[a-z]{{1,20}}))"
)


ADD_TAX_LINE_ACTION = re.compile(rf"{ADD_TAX_LINE}:{ITEMS_PREFIX}-(?P<item>\d{{1,3}})")


def tax_line_added_to(action: str) -> int | None:
    """The goods item (0-based) whose "Add another tax line" button was pressed, if that was the action."""
    m = ADD_TAX_LINE_ACTION.fullmatch(action)
    return int(m["item"]) if m is not None else None


@dataclass(frozen=True)
class DocumentAdded:
    """Where "Add another document" was pressed: a goods item (0-based) or the declaration (None)."""

    item: int | None
    documents: DocumentList


def document_added_to(action: str) -> DocumentAdded | None:
    """The list whose "Add another document" button was pressed, if that was the action."""
    m = ADD_DOCUMENT_ACTION.fullmatch(action)
    if m is None:
        return None
    if m["item"] is not None:
        return DocumentAdded(int(m["item"]), ITEM_DOCUMENTS)
    documents = next((d for d in DeclarationForm.DOCUMENT_LISTS if d.stem == m["stem"]), None)
    return DocumentAdded(None, documents) if documents else None


def forms_from_payload(
    payload: dict[str, Any] | None,
    *,
    default_declarant: str = "",
    add_item: bool = False,
    add_document: DocumentAdded | None = None,
    add_tax_line: int | None = None,
) -> tuple[DeclarationForm, BaseGoodsItemFormSet]:
    """Unbound forms showing a draft (or a blank declaration).

    Optionally with one more empty item, one more document row where ``add_document`` says, or
    one more tax line row on goods item ``add_tax_line`` (0-based).
    """
    payload = payload or {}
    header = {name: payload.get(name, "") for name in header_field_names(payload)}
    if not header.get("declarant_eori") and default_declarant:
        header["declarant_eori"] = default_declarant
    items = [dict(row) for row in payload.get("items") or [] if isinstance(row, dict)]
    if add_document is not None:
        if add_document.item is None:
            add_document.documents.with_another_row(header)
        elif 0 <= add_document.item < len(items):
            add_document.documents.with_another_row(items[add_document.item])
    if add_tax_line is not None and 0 <= add_tax_line < len(items):
        with_another_tax_row(items[add_tax_line])
    if add_item or not items:
        items.append({})
    formset: BaseGoodsItemFormSet = GoodsItemFormSet(initial=items, prefix=ITEMS_PREFIX)  # type: ignore[assignment]
    return DeclarationForm(initial=header), formset


def forms_from_post(data: QueryDict) -> tuple[DeclarationForm, BaseGoodsItemFormSet]:
    """Bound forms for a submission. Every item row is optional so a blank trailing row is ignored."""
    data = data.copy()
    # Rows rendered from a draft count as "initial" forms, which Django would require to be filled.
    data[f"{ITEMS_PREFIX}-INITIAL_FORMS"] = "0"
    formset: BaseGoodsItemFormSet = GoodsItemFormSet(data, prefix=ITEMS_PREFIX)  # type: ignore[assignment]
    return DeclarationForm(data), formset


# ---------------------------------------------------------------------------------------------
# Form → canonical declaration


def _read(values: _Values, rows: Iterable[catalogue.Element], record: catalogue.Record) -> dict[str, Any]:
    """The canonical attributes of ``record`` its catalogue rows' form fields give, field for field.

    Rows the form reads in code (``FormSpec.mapped_by_code``) and other records' rows are left out.
    """
    found: dict[str, Any] = {}
    for row in rows:
        if row.record is not record or row.form is None or row.form.mapped_by_code:
            continue
        number = catalogue.value_type(row) == Decimal | None
        found[row.attr] = values.decimal(row.form.name) if number else values.text(row.form.name)
    return found


def form_to_declaration_data(form: DeclarationForm, formset: BaseGoodsItemFormSet) -> DeclarationData:
    """The canonical declaration the forms describe, ready for ``services.declaration_lodge``.

    On valid forms this is exactly their cleaned data. On forms with errors it is the declaration
    as far as it can be read (``readable_values``), so the portal's rules can check the rest in the
    same round: that one is only ever validated, never lodged. The header's and the items' fields
    are read as the field catalogue lists them; the parties, the transport identity (on arrival for
    imports, at departure for exports) and the additional procedure codes are read here.
    """
    h = _Values(readable_values(form))
    type_code = h.text("type_code")
    trader_role, counterpart_role = party_roles(type_code)
    parties = [PartyData(role=PartyRole.DECLARANT, eori=h.text("declarant_eori"))]
    # In PartyRole order, as the XML reader lists them: importer, exporter, consignee.
    trader = _party(h, "trader", trader_role)
    parties += [party for party in (trader, _party(h, "counterpart", counterpart_role)) if party]
    items = [_item_data(position, f) for position, f in enumerate(formset.filled_forms(), start=1)]
    data = DeclarationData(
        **_read(h, header_rows(), DeclarationData),
        goods_item_quantity=len(items),
        parties=parties,
        documents=form.documents_data(),
        items=items,
    )
    if not data.representation_code and trader and trader.eori and trader.eori != h.text("declarant_eori"):
        # A declarant lodging for another account cannot be acting for itself; unless the trader
        # chose indirect representation, it is the direct representative (DE 3/21 code 2).
        data.representation_code = "2"
    transport_id, transport_id_type = h.text("transport_id"), h.text("transport_id_type")
    if type_code == "EX":
        data.departure_transport_id, data.departure_transport_id_type = transport_id, transport_id_type
    else:
        data.arrival_transport_id, data.arrival_transport_id_type = transport_id, transport_id_type
    return data


def _item_data(position: int, form: GoodsItemForm) -> ItemData:
    c = _Values(readable_values(form))
    additional = c.text("additional_procedure_code")
    return ItemData(
        **_read(c, ITEM_ROWS, ItemData),
        sequence=position,
        additional_procedure_codes=additional.split() if additional else [],
        documents=form.documents_data(),
        tax_lines=form.tax_lines_data(),
    )
