"""Where each canonical field lives in a DMS declaration: one table for reader, writer and pointers.

The tables are the field catalogue's (``declarations.catalogue``), by canonical record: each
row's ``wco`` path. Paths are tuples of element names below ``Declaration`` (item and party paths
below their own element); a last step ``@name`` is an attribute of the element before it. Keeping
one table means an error pointer always names the element the reader actually took the value from.
"""

from __future__ import annotations

from declarations import catalogue
from declarations.canonical import DeclarationData, DocumentData, ItemData, PartyData, PartyRole, TaxLineData
from declarations.catalogue import (
    ARRIVAL,
    CONSIGNMENT,
    DEPARTURE,
    GOODS_LOCATION,
    GOODS_SHIPMENT,
    HEADER_DOCUMENTS,
    ITEM,
    ITEM_DOCUMENTS,
    PREFERENCE,
    TAX_LINE,
    Path,
)

__all__ = [
    "ARRIVAL",
    "CONSIGNMENT",
    "DEPARTURE",
    "DOCUMENT_FIELDS",
    "GOODS_LOCATION",
    "GOODS_SHIPMENT",
    "HEADER",
    "HEADER_DOCUMENTS",
    "ITEM",
    "ITEM_DOCUMENTS",
    "ITEM_FIELDS",
    "ITEM_LEVEL_ALTERNATIVES",
    "PARTIES",
    "PARTY_FIELDS",
    "PREFERENCE",
    "TAX_LINE",
    "TAX_LINE_FIELDS",
    "Path",
]

# Header fields. Fields with a rule of their own (type code split, inland mode, container flag,
# country fallbacks) are handled in the reader and writer but still listed here for their pointer.
HEADER: dict[str, Path] = {e.attr: e.wco for e in catalogue.elements_of(DeclarationData)}

# Header fields a declaration may give on each goods item instead (CDS allows DE 5/8, 5/14 and
# 8/5 at either level); the path is below GovernmentAgencyGoodsItem.
ITEM_LEVEL_ALTERNATIVES: dict[str, Path] = {
    e.attr: e.item_level for e in catalogue.elements_of(DeclarationData) if e.item_level is not None
}

# Goods item fields, below GovernmentAgencyGoodsItem.
ITEM_FIELDS: dict[str, Path] = {e.attr: e.wco for e in catalogue.elements_of(ItemData)}

# Parties: where each role's element sits below Declaration.
PARTIES: dict[PartyRole, Path] = {role: info.wco for role, info in catalogue.ROLES.items()}

# Party fields, below the party element.
PARTY_FIELDS: dict[str, Path] = {"role": (), **{e.attr: e.wco for e in catalogue.elements_of(PartyData)}}

# Document fields, below the document's element (``HEADER_DOCUMENTS``, ``ITEM_DOCUMENTS``).
DOCUMENT_FIELDS: dict[str, Path] = {
    "kind": (),
    **{e.attr: e.wco for e in catalogue.elements_of(DocumentData)},
}

# Tax line fields, below the item's DutyTaxFee (``TAX_LINE``, below GovernmentAgencyGoodsItem).
TAX_LINE_FIELDS: dict[str, Path] = {e.attr: e.wco for e in catalogue.elements_of(TaxLineData)}
