"""Read a WCO DM (DMS) declaration message into the canonical ``DeclarationData``.

The message may be a bare ``Declaration``, a ``Declaration`` inside the ``md:MetaData`` envelope,
or either wrapped in a further request envelope. It is parsed by the hardened parser (which raises
``XmlRejected`` for anything that is not safe, well-formed XML of the right namespace), validated
against the DMS schemas (errors become issues and no data), then mapped. Values the schema lets
through but the canonical model cannot hold become issues that point at the element; mapping
never raises on content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import cast

from django.utils.translation import gettext as _
from lxml import etree

from declarations import catalogue
from declarations.canonical import (
    DeclarationData,
    DocumentData,
    DocumentKind,
    Issue,
    ItemData,
    PartyData,
    PartyRole,
    TaxLineData,
)
from declarations.catalogue import Element

from . import paths
from .namespaces import DEC_NS, MD_NS, dec, md
from .parser import XmlRejected, parse_xml
from .pointers import pointer_for_element
from .schema import MAX_ISSUES, schema_issues, too_many_errors

# Classification identification types (DE 6/14-6/17). The combined nomenclature code is sent as
# TSP; TARIC code (TRC), TARIC additional codes (TRA) and national additional codes (GN) are kept
# in ``taric_codes``. CV is the CUS code (DE 6/13, a chemical substance number), not a commodity
# code: it has no canonical field and is deliberately not mapped.
COMMODITY_CODE_TYPES = frozenset({"TSP"})
ADDITIONAL_CODE_TYPES = frozenset({"TRC", "TRA", "GN"})
IGNORED_CODE_TYPES = frozenset({"CV"})

# The elements read field for field, in catalogue order; the others are read in code below.
_GENERIC_HEADER = [
    row for row in catalogue.elements_of(DeclarationData) if not row.mapped_by_code and row.item_level is None
]
_GENERIC_ITEM = [row for row in catalogue.elements_of(ItemData) if not row.mapped_by_code]
_TAX_LINE = catalogue.elements_of(TaxLineData)
_WRITE_OFF = tuple(e for e in catalogue.elements_of(DocumentData) if e.attr.startswith("write_off_"))


@dataclass
class ReadResult:
    """What the reader made of a message: data (``None`` when the schema refused it) and issues."""

    data: DeclarationData | None
    issues: list[Issue] = field(default_factory=list)
    root_kind: str = "declaration"  # "metadata" when the Declaration came in the md:MetaData envelope


def read_declaration(body: bytes) -> ReadResult:
    """Parse, validate and map a DMS declaration message.

    Raises ``XmlRejected`` when the body is not acceptable XML at all (too large, DOCTYPE or
    entities, not well-formed, too deep, no WCO declaration in it). Schema errors are returned as
    issues with ``data=None``; mapping problems are returned as issues next to the data.
    """
    root = parse_xml(body)
    envelope, declaration = locate_declaration(root)
    root_kind = "metadata" if envelope is not None else "declaration"
    issues = schema_issues(envelope if envelope is not None else declaration)
    if issues:
        return ReadResult(data=None, issues=issues, root_kind=root_kind)
    mapper = _Mapper(declaration)
    data = mapper.read()
    return ReadResult(data=data, issues=mapper.reported(), root_kind=root_kind)


_NS = {"md": MD_NS, "dec": DEC_NS}
_NEXT_DECLARATION = "(following::md:MetaData | following::dec:Declaration)[1]"


def locate_declaration(root: etree._Element) -> tuple[etree._Element | None, etree._Element]:
    """The ``md:MetaData`` envelope (or ``None``) and the ``Declaration`` of a parsed message.

    Raises ``XmlRejected`` when the message holds no declaration, or more than one: each message
    is one declaration, and a second one must not be dropped unread.
    """
    candidate: etree._Element | None = root
    if root.tag not in (md("MetaData"), dec("Declaration")):
        candidate = next(root.iter(md("MetaData"), dec("Declaration")), None)
        if candidate is not None:
            # Only what follows the first one's end: a Declaration inside it is the schema's business.
            following = cast(list[etree._Element], candidate.xpath(_NEXT_DECLARATION, namespaces=_NS))
            if following:
                raise _second_declaration(following[0])
    if candidate is not None and candidate.tag == md("MetaData"):
        inner = candidate.findall(dec("Declaration"))
        if not inner:
            raise XmlRejected(
                "wrong_namespace",
                _("The MetaData envelope holds no 'Declaration' in '%(dec_ns)s'; only declarations are read.")
                % {"dec_ns": DEC_NS},
            )
        if len(inner) > 1:
            raise _second_declaration(inner[1])
        return candidate, inner[0]
    if candidate is not None:
        return None, candidate
    qname = etree.QName(root)
    raise XmlRejected(
        "wrong_namespace",
        _(
            "The root element is '%(name)s' in namespace '%(namespace)s' and it holds no WCO declaration; "
            "expected 'MetaData' in '%(md_ns)s' or 'Declaration' in '%(dec_ns)s'."
        )
        % {"name": qname.localname, "namespace": qname.namespace or "", "md_ns": MD_NS, "dec_ns": DEC_NS},
    )


def _second_declaration(element: etree._Element) -> XmlRejected:
    """The refusal of a message holding a second declaration, pointing at it.

    The pointer is the path of element names from the root (``MetaData/Declaration[2]``), as for
    the envelope's own elements: outside a Declaration there are no WCO class codes.
    """
    names = []
    current: etree._Element | None = element
    while current is not None:
        position = 1 + sum(1 for _sibling in current.itersiblings(current.tag, preceding=True))
        name = etree.QName(current).localname
        names.append(f"{name}[{position}]" if position > 1 else name)
        current = current.getparent()
    return XmlRejected(
        "multiple_declarations",
        _(
            "The message holds more than one declaration; send each declaration in a message of its "
            "own. The second one starts on line %(line)s."
        )
        % {"line": element.sourceline},
        pointer="/".join(reversed(names)),
    )


class _Mapper:
    """Maps one validated ``Declaration`` element; collects issues instead of raising."""

    def __init__(self, declaration: etree._Element) -> None:
        self.declaration = declaration
        self.issues: list[Issue] = []
        # Past MAX_ISSUES a problem is only counted (no pointer is worked out): a schema-valid
        # message can still hold tens of thousands of values the model cannot hold.
        self.dropped = 0
        self.dropped_errors = 0

    def reported(self) -> list[Issue]:
        """The issues found, the first ``MAX_ISSUES`` and then one saying how many more there were.

        That last one is a warning when every dropped issue was a warning, so a message that may
        be accepted is not refused for the count alone.
        """
        if not self.dropped:
            return self.issues
        more = too_many_errors(self.dropped)
        if not self.dropped_errors:
            more = replace(more, severity="warning")
        return [*self.issues, more]

    # --- small helpers ---------------------------------------------------------------------------

    def find(self, base: etree._Element | None, path: Sequence[str]) -> etree._Element | None:
        element = base
        for step in path:
            if element is None or step.startswith("@"):
                break
            element = element.find(dec(step))
        return element

    def at(self, element: etree._Element, child: str) -> etree._Element:
        """``element``'s child ``child`` when present (a more precise pointer), else ``element``."""
        found = element.find(dec(child))
        return found if found is not None else element

    def text(self, base: etree._Element | None, path: Sequence[str]) -> str:
        element = self.find(base, path)
        if element is None:
            return ""
        if path and path[-1].startswith("@"):
            return (element.get(path[-1][1:]) or "").strip()
        return (element.text or "").strip()

    def problem(
        self, element: etree._Element, field_path: str, message: str, *, severity: str = "error"
    ) -> None:
        if len(self.issues) >= MAX_ISSUES:
            self.dropped += 1
            self.dropped_errors += severity == "error"
            return
        self.issues.append(
            Issue(
                code="invalid_value",
                message=message,
                field=field_path,
                pointer=pointer_for_element(element),
                severity=severity,
            )
        )

    def decimal(self, base: etree._Element | None, path: Sequence[str], field_path: str) -> Decimal | None:
        element = self.find(base, path)
        raw = (element.text or "").strip() if element is not None else ""
        if element is None or not raw:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self.problem(
                element,
                field_path,
                _("%(element)s '%(value)s' is not a number.")
                % {"element": etree.QName(element).localname, "value": raw},
            )
            return None
        return value

    def integer(self, base: etree._Element | None, path: Sequence[str], field_path: str) -> int | None:
        element = self.find(base, path)
        value = self.decimal(base, path, field_path)
        if value is None or element is None:
            return None
        if value != value.to_integral_value():
            self.problem(
                element,
                field_path,
                _("%(element)s '%(value)s' is not a whole number.")
                % {"element": etree.QName(element).localname, "value": element.text},
            )
            return None
        return int(value)

    # --- the declaration -------------------------------------------------------------------------

    def read(self) -> DeclarationData:
        d = self.declaration
        data = DeclarationData()
        full_type = self.text(d, paths.HEADER["type_code"])
        data.type_code, data.additional_type = full_type[:2], full_type[2:]
        for row in _GENERIC_HEADER:
            setattr(data, row.attr, self.value(d, row, row.attr, getattr(data, row.attr)))
        data.inland_transport_mode = self._inland_mode(data)
        data.container = self._container()
        data.parties = self._parties()
        data.documents = self._documents(d, paths.HEADER_DOCUMENTS, "documents", allow_status=False)
        data.items = [self._item(element, i) for i, element in enumerate(self._item_elements(), start=1)]
        for name in paths.ITEM_LEVEL_ALTERNATIVES:
            setattr(data, name, self._header_or_items(name))
        return data

    def value(self, base: etree._Element, row: Element, field_path: str, default: object = None) -> object:
        """The value of a catalogue element below ``base``, of the canonical attribute's type.

        A text missing at the element's place is taken from its other places (``read_also``); one
        missing everywhere keeps the canonical default.
        """
        kind = catalogue.value_type(row)
        if kind == Decimal | None:
            if row.unit_code:
                return self._measure(base, row.wco, field_path, row.unit_code)
            return self.decimal(base, row.wco, field_path)
        if kind == int | None:
            return self.integer(base, row.wco, field_path)
        for path in (row.wco, *row.read_also):
            if text := self.text(base, path):
                return text
        return default

    def _item_elements(self) -> list[etree._Element]:
        shipment = self.find(self.declaration, paths.GOODS_SHIPMENT)
        return [] if shipment is None else shipment.findall(dec("GovernmentAgencyGoodsItem"))

    def _inland_mode(self, data: DeclarationData) -> str:
        """DE 7/5 is the arrival means' mode on imports and the departure means' on exports."""
        arrival = self.text(self.declaration, (*paths.ARRIVAL, "ModeCode"))
        departure = self.text(self.declaration, (*paths.DEPARTURE, "ModeCode"))
        if data.type_code in ("EX", "CO") and departure:
            return departure
        return arrival or departure

    def _container(self) -> bool | None:
        element = self.find(self.declaration, paths.HEADER["container"])
        raw = (element.text or "").strip() if element is not None else ""
        if element is None or not raw:
            return None
        if raw in ("0", "1"):
            return raw == "1"
        self.problem(
            element,
            "container",
            _("ContainerCode '%(value)s' must be 0 (no container) or 1 (container).") % {"value": raw},
        )
        return None

    def _header_or_items(self, name: str) -> str:
        """A header value that CDS also allows on each goods item (destination, dispatch, DE 8/5).

        The canonical model holds it once per declaration: the header value when given, else the
        value the items declare. Items that disagree cannot be represented; that is reported.
        """
        header = self.text(self.declaration, paths.HEADER[name])
        if header:
            return header
        item_path = paths.ITEM_LEVEL_ALTERNATIVES[name]
        values: list[tuple[etree._Element, str]] = []
        for item in self._item_elements():
            element = self.find(item, item_path)
            if element is not None and (element.text or "").strip():
                values.append((element, (element.text or "").strip()))
        distinct = {v for _element, v in values}
        if len(distinct) > 1:
            element = values[0][0]
            self.problem(
                element,
                name,
                _(
                    "The goods items declare different values for %(element)s (%(values)s); "
                    "declare it once for the declaration."
                )
                % {"element": etree.QName(element).localname, "values": ", ".join(sorted(distinct))},
            )
        return values[0][1] if values else ""

    # --- parties ---------------------------------------------------------------------------------

    def _parties(self) -> list[PartyData]:
        parties = []
        # DMS gives parties no order; the canonical order is that of PartyRole.
        for role in PartyRole:
            path = paths.PARTIES[role]
            element = self.find(self.declaration, path)
            if element is None and role is PartyRole.CONSIGNOR:
                # The consignor may also be given on the header consignment.
                element = self.find(self.declaration, ("Consignment", "Consignor"))
            if element is None:
                continue
            party = PartyData(role=role)
            for name, field_path in paths.PARTY_FIELDS.items():
                if field_path:
                    setattr(party, name, self.text(element, field_path))
            if role is PartyRole.REPRESENTATIVE and not any(
                (party.eori, party.name, party.street, party.city, party.postcode, party.country)
            ):
                continue  # an Agent with only its FunctionCode is DE 3/21, not a party
            parties.append(party)
        return parties

    # --- documents -------------------------------------------------------------------------------

    def _documents(
        self,
        base: etree._Element,
        places: dict[DocumentKind, tuple[str, ...]],
        field_prefix: str,
        *,
        allow_status: bool,
    ) -> list[DocumentData]:
        documents: list[DocumentData] = []
        for kind, path in places.items():
            parent = self.find(base, path[:-1])
            if parent is None:
                continue
            for element in parent.findall(dec(path[-1])):
                position = len(documents) + 1
                document = DocumentData(
                    kind=kind,
                    code=self.text(element, ("CategoryCode",)) + self.text(element, ("TypeCode",)),
                    reference=self.text(element, ("ID",)),
                    status=self.text(element, ("LPCOExemptionCode",)) if allow_status else "",
                )
                if kind is DocumentKind.PREVIOUS:
                    document.line = self.integer(element, ("LineNumeric",), f"{field_prefix}.{position}.line")
                elif allow_status:
                    # DE 2/3 writing-off: what the item takes off the licence the document names.
                    for row in _WRITE_OFF:
                        where = f"{field_prefix}.{position}.{row.attr}"
                        value = self.value(element, row, where, getattr(document, row.attr))
                        setattr(document, row.attr, value)
                documents.append(document)
        return documents

    # --- goods items -----------------------------------------------------------------------------

    def _item(self, element: etree._Element, index: int) -> ItemData:
        prefix = f"items.{index}"
        f = paths.ITEM_FIELDS
        item = ItemData(
            sequence=self.integer(element, f["sequence"], f"{prefix}.sequence"),
            package_count=self.integer(element, f["package_count"], f"{prefix}.package_count"),
            package_type=self.text(element, f["package_type"]),
            package_marks=self.text(element, f["package_marks"]),
        )
        for row in _GENERIC_ITEM:
            setattr(item, row.attr, self.value(element, row, f"{prefix}.{row.attr}", getattr(item, row.attr)))
        self._classifications(element, item, prefix)
        self._duties(element, item, prefix)
        self._procedures(element, item, prefix)
        packagings = element.findall(dec("Packaging"))
        if len(packagings) > 1:
            self.problem(
                self.at(packagings[1], "QuantityQuantity"),
                f"{prefix}.package_count",
                _("Only one Packaging per goods item is recorded; declare the goods in separate items."),
            )
        item.documents = self._documents(
            element, paths.ITEM_DOCUMENTS, f"{prefix}.documents", allow_status=True
        )
        return item

    def _measure(
        self, base: etree._Element, path: Sequence[str], field_path: str, unit_code: str
    ) -> Decimal | None:
        """A measure in one unit (masses in kilograms): its ``unitCode``, when given, must be that."""
        value = self.decimal(base, path, field_path)
        element = self.find(base, path)
        unit = element.get("unitCode") if element is not None else None
        if element is not None and value is not None and unit and unit != unit_code:
            self.problem(
                element,
                field_path,
                _("%(element)s is in '%(unit)s'; masses are in kilograms (%(kilograms)s).")
                % {"element": etree.QName(element).localname, "unit": unit, "kilograms": unit_code},
            )
        return value

    def _classifications(self, element: etree._Element, item: ItemData, prefix: str) -> None:
        commodity = element.find(dec("Commodity"))
        if commodity is None:
            return
        for classification in commodity.findall(dec("Classification")):
            code = self.text(classification, ("ID",))
            kind = self.text(classification, ("IdentificationTypeCode",)).upper()
            if kind in COMMODITY_CODE_TYPES:
                if item.commodity_code:
                    self.problem(
                        self.at(classification, "ID"),
                        f"{prefix}.commodity_code",
                        _("The goods item has more than one commodity code (%(first)s, %(second)s).")
                        % {"first": item.commodity_code, "second": code},
                    )
                else:
                    item.commodity_code = code
            elif kind in ADDITIONAL_CODE_TYPES:
                item.taric_codes.append(code)
            elif kind not in IGNORED_CODE_TYPES:
                self.problem(
                    self.at(classification, "IdentificationTypeCode"),
                    f"{prefix}.commodity_code",
                    _(
                        "Classification identification type '%(kind)s' is not one the portal reads "
                        "(%(known)s)."
                    )
                    % {"kind": kind, "known": "TSP, TRC, TRA, GN, CV"},
                    severity="warning",
                )

    def _duties(self, element: etree._Element, item: ItemData, prefix: str) -> None:
        """DE 4/3-4/8: a tax line per DutyTaxFee (50A); DE 4/17 from whichever DutyTaxFee carries it.

        HMRC puts the preference (DutyRegimeCode) in one of the item's DutyTaxFees, usually the
        first; a DutyTaxFee that carries nothing else is no duty, tax or fee and makes no tax line.
        """
        commodity = self.find(element, paths.TAX_LINE[:-1])
        if commodity is None:
            return
        preferences: list[tuple[etree._Element, str]] = []
        for fee in commodity.findall(dec(paths.TAX_LINE[-1])):
            regime = fee.find(dec("DutyRegimeCode"))
            if regime is not None and (regime.text or "").strip():
                preferences.append((regime, (regime.text or "").strip()))
            if all(etree.QName(child).localname == "DutyRegimeCode" for child in fee.iterchildren("*")):
                continue
            line = TaxLineData()
            where = f"{prefix}.tax_lines.{len(item.tax_lines) + 1}"
            for row in _TAX_LINE:
                setattr(line, row.attr, self.value(fee, row, f"{where}.{row.attr}", getattr(line, row.attr)))
            item.tax_lines.append(line)
        distinct = sorted({value for _regime, value in preferences})
        if len(distinct) > 1:
            self.problem(
                preferences[1][0],
                f"{prefix}.preference",
                _("The goods item declares more than one preference (%(values)s); declare one.")
                % {"values": ", ".join(distinct)},
            )
        item.preference = preferences[0][1] if preferences else ""

    def _procedures(self, element: etree._Element, item: ItemData, prefix: str) -> None:
        """DE 1/10 (current + previous procedure, four digits) and DE 1/11 (three characters each).

        The procedure is the GovernmentProcedure with a PreviousCode or, failing that, the first
        one whose CurrentCode is not three characters long; every other one is an additional
        procedure code.
        """
        procedures = element.findall(dec("GovernmentProcedure"))
        main = next((p for p in procedures if p.find(dec("PreviousCode")) is not None), None)
        if main is None:
            main = next((p for p in procedures if len(self.text(p, ("CurrentCode",))) != 3), None)
        for procedure in procedures:
            current = self.text(procedure, ("CurrentCode",))
            previous = self.text(procedure, ("PreviousCode",))
            if procedure is main:
                item.procedure_code = current + previous
            elif procedure.find(dec("PreviousCode")) is not None:
                self.problem(
                    self.at(procedure, "CurrentCode"),
                    f"{prefix}.procedure_code",
                    _("The goods item has two procedure codes (%(first)s, %(second)s).")
                    % {"first": item.procedure_code, "second": current + previous},
                )
            elif current:
                item.additional_procedure_codes.append(current)
