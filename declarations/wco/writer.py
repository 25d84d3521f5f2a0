"""Produce a WCO DM (DMS) declaration message from the canonical ``DeclarationData``.

The output validates against the same DMS schemas the reader uses and reads back to equal data.
Elements are added in whatever order is convenient and then put into the order of the schema's
``xs:sequence`` from the schema's own element model, so a new field cannot break validity by being
written in the wrong place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from lxml import etree

from declarations import catalogue
from declarations.canonical import (
    DeclarationData,
    DocumentData,
    DocumentKind,
    ItemData,
    PartyRole,
    TaxLineData,
)

from . import paths
from .namespaces import DEC_NS, MD_NS, dec, md
from .schema import ElementModel, declaration_model

# The envelope describes the customisation the message follows: the UK CDS "DMS" schemas,
# WCO Data Model 3.6, as in HMRC's own samples.
ENVELOPE = (
    ("WCODataModelVersionCode", "3.6"),
    ("WCOTypeName", "DEC"),
    ("ResponsibleCountryCode", "GB"),
    ("ResponsibleAgencyName", "HMRC"),
    ("AgencyAssignedCustomizationVersionCode", "v2.1"),
)

_NATIONAL_ADDITIONAL_CODE = re.compile(r"VAT.|X\d{3}")

# The elements written field for field, in catalogue order; the others are written in code below.
_GENERIC_HEADER = [row for row in catalogue.elements_of(DeclarationData) if not row.mapped_by_code]
_GENERIC_ITEM = [row for row in catalogue.elements_of(ItemData) if not row.mapped_by_code]
_TAX_LINE = catalogue.elements_of(TaxLineData)
# DE 2/3 writing-off, quantity then unit, amount then currency (catalogue order).
_WRITE_OFF = tuple(e for e in catalogue.elements_of(DocumentData) if e.attr.startswith("write_off_"))


def write_declaration(data: DeclarationData, *, envelope: bool = True) -> bytes:
    """The declaration as UTF-8 XML with an XML declaration, pretty-printed.

    ``envelope``: wrap it in the ``md:MetaData`` envelope (the form CDS expects); without it the
    root is the ``Declaration`` itself.
    """
    if envelope:
        root = etree.Element(md("MetaData"), nsmap={"md": MD_NS, None: DEC_NS})  # type: ignore[dict-item]
        for name, value in ENVELOPE:
            etree.SubElement(root, md(name)).text = value
        declaration = etree.SubElement(root, dec("Declaration"))
    else:
        root = declaration = etree.Element(dec("Declaration"), nsmap={None: DEC_NS})  # type: ignore[dict-item]
    _Writer(declaration).write(data)
    _sort(declaration, declaration_model())
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _sort(element: etree._Element, model: ElementModel) -> None:
    """Put children into schema sequence order, recursively (stable for repeated elements)."""
    children = sorted(element, key=lambda c: model.order(etree.QName(c).localname))
    element[:] = children
    for child in children:
        child_model = model.children.get(etree.QName(child).localname)
        if child_model is not None and child_model.is_class:
            _sort(child, child_model)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


class _Writer:
    def __init__(self, declaration: etree._Element) -> None:
        self.declaration = declaration

    def set(self, base: etree._Element, path: Sequence[str], value: object) -> None:
        """Write a value at a path below ``base``, creating the single-occurrence parents."""
        text = _text(value)
        if not text:
            return
        if path[-1].startswith("@"):
            # An attribute qualifies a value (currency of an amount, unit of a quantity): with no
            # value written there is nothing to qualify, and an empty element would be invalid.
            owner: etree._Element | None = base
            for step in path[:-1]:
                owner = owner.find(dec(step)) if owner is not None else None
            if owner is not None:
                owner.set(path[-1][1:], text)
            return
        element = base
        for step in path[:-1]:
            element = self.child(element, step)
        self.child(element, path[-1]).text = text

    def child(self, parent: etree._Element, name: str) -> etree._Element:
        existing = parent.find(dec(name))
        return existing if existing is not None else etree.SubElement(parent, dec(name))

    def write(self, data: DeclarationData) -> None:
        d = self.declaration
        self.set(d, paths.HEADER["type_code"], data.full_type)
        for row in _GENERIC_HEADER:
            self.set(d, row.wco, getattr(data, row.attr))
        means = paths.DEPARTURE if data.type_code in ("EX", "CO") else paths.ARRIVAL
        mode_path = (*means, "ModeCode")
        self.set(d, mode_path, data.inland_transport_mode)
        if data.container is not None:
            self.set(d, paths.HEADER["container"], "1" if data.container else "0")
        self._parties(data)
        self._documents(d, data.documents, paths.HEADER_DOCUMENTS, with_status=False)
        for position, item in enumerate(data.items, start=1):
            self._item(item, position)

    def _parties(self, data: DeclarationData) -> None:
        written: set[PartyRole] = set()
        for party in data.parties:
            if party.role in written:
                continue  # DMS holds one party per role
            written.add(party.role)
            element = self.declaration
            for step in paths.PARTIES[party.role]:
                element = self.child(element, step)
            for name, path in paths.PARTY_FIELDS.items():
                if path:
                    self.set(element, path, getattr(party, name))

    def _documents(
        self,
        base: etree._Element,
        documents: list[DocumentData],
        places: dict[DocumentKind, tuple[str, ...]],
        *,
        with_status: bool,
    ) -> None:
        for document in documents:
            path = places[document.kind]
            parent = base
            for step in path[:-1]:
                parent = self.child(parent, step)
            element = etree.SubElement(parent, dec(path[-1]))
            # DE 2/3 and 2/1 codes are a one-character category and the type (``N935``, ``ZDCR``).
            self.set(element, ("CategoryCode",), document.code[:1])
            self.set(element, ("TypeCode",), document.code[1:])
            self.set(element, ("ID",), document.reference)
            if with_status and document.kind is DocumentKind.ADDITIONAL:
                self.set(element, ("LPCOExemptionCode",), document.status)
                for row in _WRITE_OFF:  # values first: an attribute qualifies a value written
                    self.set(element, row.wco, getattr(document, row.attr))
            if document.kind is DocumentKind.PREVIOUS:
                self.set(element, ("LineNumeric",), document.line)

    def _item(self, item: ItemData, position: int) -> None:
        shipment = self.child(self.declaration, paths.GOODS_SHIPMENT[0])
        element = etree.SubElement(shipment, dec(paths.ITEM[-1]))
        f = paths.ITEM_FIELDS
        # SequenceNumeric is required by the schema; an item without one takes its position.
        self.set(element, f["sequence"], item.sequence if item.sequence is not None else position)
        for row in _GENERIC_ITEM:
            self.set(element, row.wco, getattr(item, row.attr))
        if item.commodity_code or item.taric_codes:
            commodity = self.child(element, "Commodity")
            if item.commodity_code:
                self._classification(commodity, item.commodity_code, "TSP")
            for code in item.taric_codes:
                self._classification(commodity, code, _additional_code_type(code))
        for line in item.tax_lines:
            fee = etree.SubElement(self.child(element, paths.TAX_LINE[0]), dec(paths.TAX_LINE[-1]))
            for row in _TAX_LINE:
                self.set(fee, row.wco, getattr(line, row.attr))
        # DE 4/17 in the first DutyTaxFee (one of its own when the item declares no tax line).
        self.set(element, paths.PREFERENCE, item.preference)
        if item.procedure_code:
            procedure = etree.SubElement(element, dec("GovernmentProcedure"))
            self.set(procedure, ("CurrentCode",), item.procedure_code[:2])
            self.set(procedure, ("PreviousCode",), item.procedure_code[2:])
        for code in item.additional_procedure_codes:
            self.set(etree.SubElement(element, dec("GovernmentProcedure")), ("CurrentCode",), code)
        if item.package_count is not None or item.package_type or item.package_marks:
            packaging = etree.SubElement(element, dec("Packaging"))
            self.set(packaging, ("SequenceNumeric",), 1)
            self.set(packaging, ("MarksNumbersID",), item.package_marks)
            self.set(packaging, ("QuantityQuantity",), item.package_count)
            self.set(packaging, ("TypeCode",), item.package_type)
        self._documents(element, item.documents, paths.ITEM_DOCUMENTS, with_status=True)

    def _classification(self, commodity: etree._Element, code: str, kind: str) -> None:
        classification = etree.SubElement(commodity, dec("Classification"))
        self.set(classification, ("ID",), code)
        self.set(classification, ("IdentificationTypeCode",), kind)


def _additional_code_type(code: str) -> str:
    """Which Classification type an additional code is sent as.

    The canonical model keeps the codes without their type; their shapes tell them apart: the
    TARIC code is two digits (TRC), UK national additional codes are ``VAT?`` or ``X`` and three
    digits (GN), everything else is a four-character TARIC additional code (TRA).
    """
    if len(code) == 2:
        return "TRC"
    if _NATIONAL_ADDITIONAL_CODE.fullmatch(code):
        return "GN"
    return "TRA"
