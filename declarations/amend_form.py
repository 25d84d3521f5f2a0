"""The declaration form, prefilled with the version in force, for an amendment in the browser.

The form shows part of what a declaration holds (what a trader types); the rest (package counts,
TARIC codes, document statuses, transport details sent by XML) is carried over from the version
in force, so amending the net mass in the browser changes the net mass and nothing else.
"""

from __future__ import annotations

import copy
from typing import Any

from .canonical import DeclarationData, DocumentData, DocumentKind, ItemData, PartyRole
from .forms import drafts

# What the form edits (``forms.form_to_declaration_data``); everything else is carried over.
FORM_HEADER = {
    "type_code",
    "additional_type",
    "lrn",
    "goods_item_quantity",
    "invoice_amount",
    "invoice_currency",
    "freight_amount",
    "freight_currency",
    "representation_code",
    "supervising_office",
    "presentation_office",
    "exit_office",
    "border_transport_mode",
    "border_transport_nationality",
    "arrival_transport_id",
    "arrival_transport_id_type",
    "departure_transport_id",
    "departure_transport_id_type",
    "goods_location",
    "destination_country",
    "export_country",
}
FORM_ITEM = {
    "sequence",
    "description",
    "commodity_code",
    "origin_country",
    "procedure_code",
    "additional_procedure_codes",
    "quantity",
    "quantity_unit",
    "net_mass",
    "gross_mass",
    "value_amount",
    "value_currency",
    "valuation_indicator",
    "preference",
    "tax_lines",  # every element of a tax line has a field in its row
}


def payload_from_data(data: DeclarationData) -> dict[str, Any]:
    """The form's values (as a draft holds them) for ``data``, its LRN included."""
    payload = drafts.payload_from_data(data)
    payload["lrn"] = data.lrn
    return payload


def merged(current: DeclarationData, edited: DeclarationData) -> DeclarationData:
    """``edited`` (from the form) with everything the form does not show taken from ``current``.

    Goods items are matched by number; a document keeps its status and line when the edited one
    has the same kind, code and reference; an item's previous documents are kept.
    """
    result = copy.deepcopy(edited)
    for name in DeclarationData.__dataclass_fields__:
        if name not in FORM_HEADER and name not in {"parties", "documents", "items"}:
            setattr(result, name, getattr(current, name))
    shown = {p.role for p in edited.parties}
    result.parties = [*result.parties, *(copy.deepcopy(p) for p in current.parties if p.role not in shown)]
    result.parties.sort(key=lambda p: list(PartyRole).index(p.role))
    result.documents = _documents(current.documents, edited.documents)
    old_items = {i.sequence: i for i in current.items}
    for item in result.items:
        old = old_items.get(item.sequence)
        if old is None:
            continue
        for name in ItemData.__dataclass_fields__:
            if name not in FORM_ITEM and name != "documents":
                setattr(item, name, copy.deepcopy(getattr(old, name)))
        previous = [copy.deepcopy(d) for d in old.documents if d.kind is DocumentKind.PREVIOUS]
        item.documents = _documents(old.documents, item.documents) + previous
    return result


def _documents(old: list[DocumentData], new: list[DocumentData]) -> list[DocumentData]:
    pool = list(old)
    out = []
    for document in new:
        match = next(
            (
                d
                for d in pool
                if (d.kind, d.code, d.reference) == (document.kind, document.code, document.reference)
            ),
            None,
        )
        if match is not None:
            pool.remove(match)
            out.append(copy.deepcopy(match))
        else:
            out.append(copy.deepcopy(document))
    return out
