"""The canonical declaration: one plain structure every channel maps into and out of.

The browser form, the JSON API and the WCO DM XML reader all produce a ``DeclarationData``; the
portal's rules validate it; ``services.declaration_lodge`` persists it; the XML writer and the API
serializers produce it again from the stored declaration. Nothing here touches the database, so
``validate_declarations`` can check a message without storing anything.

Field paths (``Issue.field``) use dotted names over this structure, items, documents and tax lines
by 1-based position: ``items.2.commodity_code``, ``items.1.documents.3.code``,
``items.1.tax_lines.2.method_of_payment``, ``parties.importer.eori``.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class Direction(enum.StrEnum):
    IMPORT = "import"
    EXPORT = "export"


# DE 1/1 declaration type (first two characters of the WCO TypeCode) → direction.
DIRECTION_BY_TYPE = {
    "IM": Direction.IMPORT,
    "EX": Direction.EXPORT,
    "CO": Direction.EXPORT,  # special fiscal territory dispatch, declared like an export
}


class PartyRole(enum.StrEnum):
    DECLARANT = "declarant"
    IMPORTER = "importer"
    EXPORTER = "exporter"
    CONSIGNEE = "consignee"
    CONSIGNOR = "consignor"
    REPRESENTATIVE = "representative"
    BUYER = "buyer"
    SELLER = "seller"


class DocumentKind(enum.StrEnum):
    ADDITIONAL = "additional"  # DE 2/3 documents, certificates, authorisations (WCO AdditionalDocument)
    PREVIOUS = "previous"  # DE 2/1 previous documents (WCO PreviousDocument)


@dataclass
class PartyData:
    role: PartyRole
    eori: str = ""
    name: str = ""
    street: str = ""
    city: str = ""
    postcode: str = ""
    country: str = ""


@dataclass
class DocumentData:
    kind: DocumentKind
    # For additional documents the four-character DE 2/3 code (category + type, e.g. ``N935``);
    # for previous documents the category and type as declared (``Z355``, ``ZDCR``).
    code: str
    reference: str = ""
    status: str = ""  # LPCO exemption / document status code (``AC``, ``AE``, ...)
    line: int | None = None  # previous document line number, when given
    # DE 2/3 writing-off (WCO AdditionalDocument/WriteOff): what this goods item takes off the
    # licence or permit the document names, as a quantity in a unit and/or an amount in a currency.
    write_off_quantity: Decimal | None = None
    write_off_unit: str = ""  # its unitCode as declared (``KGM#G``, ``KGM``)
    write_off_amount: Decimal | None = None
    write_off_currency: str = ""


@dataclass
class TaxLineData:
    """One duty, tax or fee the trader calculated for a goods item (WCO DutyTaxFee, class 50A).

    The trader's own figures, kept as declared: the portal's assessment is compared with them,
    never written over them.
    """

    tax_type: str = ""  # DE 4/3 (``A00`` customs duty, ``B00`` VAT, ``411`` an excise code)
    base_quantity: Decimal | None = None  # DE 4/4 specific base (HMRC also sends a value here, unit GBP)
    base_unit: str = ""  # its unitCode (``KGM``, ``HLT``, ``GBP``)
    base_amount: Decimal | None = None  # DE 4/4 ad valorem base
    base_currency: str = ""
    rate: Decimal | None = None  # DE 4/5
    assessed_amount: Decimal | None = None  # TaxAssessedAmount: DE 4/7 total taxes, as HMRC annotates it
    payable_amount: Decimal | None = None  # PaymentAmount: DE 4/6 payable tax amount
    method_of_payment: str = ""  # DE 4/8 (``E`` deferment, ``A`` cash ...)
    quota_order: str = ""  # DE 8/1 quota order number


@dataclass
class ItemData:
    sequence: int | None = None
    description: str = ""
    commodity_code: str = ""  # HS 6 digits or a national extension (8 or 10 digits)
    taric_codes: list[str] = field(default_factory=list)  # TARIC/national additional codes (TRC, TRA, GN)
    origin_country: str = ""
    origin_type: str = ""  # 1 non-preferential, 2 preferential
    procedure_code: str = ""  # DE 1/10: requested + previous procedure, four digits (``4000``)
    additional_procedure_codes: list[str] = field(default_factory=list)  # DE 1/11 (``000``, ``1CS``)
    quantity: Decimal | None = None  # supplementary units (DE 6/2)
    quantity_unit: str = ""
    net_mass: Decimal | None = None  # kg (DE 6/1)
    gross_mass: Decimal | None = None  # kg (DE 6/5)
    value_amount: Decimal | None = None  # item price (DE 4/14)
    value_currency: str = ""
    statistical_value: Decimal | None = None
    statistical_currency: str = ""  # DE 8/6 currency as sent (CDS expects GBP; a rule can say so)
    valuation_method: str = ""
    valuation_indicator: str = ""  # DE 4/13 (``0000``)
    preference: str = ""  # DE 4/17 (``100`` no preference claimed)
    package_count: int | None = None
    package_type: str = ""
    package_marks: str = ""
    documents: list[DocumentData] = field(default_factory=list)
    tax_lines: list[TaxLineData] = field(default_factory=list)  # DE 4/3-4/8, in the order declared


@dataclass
class DeclarationData:
    type_code: str = ""  # DE 1/1 (``IM``, ``EX``, ``CO``)
    additional_type: str = ""  # DE 1/2 (``A``, ``D``, ``Y``, ``Z`` ...)
    function_code: str = "9"  # 9 original
    lrn: str = ""
    goods_item_quantity: int | None = None  # DE 1/9 as declared
    total_package_quantity: int | None = None  # DE 6/18 as declared
    invoice_amount: Decimal | None = None  # DE 4/11 total amount invoiced
    invoice_currency: str = ""
    exchange_rate: Decimal | None = None
    freight_amount: Decimal | None = None  # DE 4/19 transport costs to the final destination
    freight_currency: str = ""
    representation_code: str = ""  # DE 3/21 agent function code
    parties: list[PartyData] = field(default_factory=list)
    supervising_office: str = ""
    presentation_office: str = ""
    exit_office: str = ""  # DE 5/12, exports
    border_transport_mode: str = ""  # DE 7/4
    border_transport_nationality: str = ""  # DE 7/15
    inland_transport_mode: str = ""  # DE 7/5
    arrival_transport_id: str = ""  # DE 7/9
    arrival_transport_id_type: str = ""
    departure_transport_id: str = ""  # DE 7/7
    departure_transport_id_type: str = ""
    container: bool | None = None  # DE 7/2
    goods_location: str = ""  # DE 5/23 identification
    goods_location_type: str = ""
    goods_location_qualifier: str = ""
    goods_location_country: str = ""
    destination_country: str = ""  # DE 5/8
    export_country: str = ""  # DE 5/14 country of dispatch/export
    transaction_nature: str = ""  # DE 8/5
    delivery_terms: str = ""  # DE 4/1 incoterm
    delivery_location: str = ""
    documents: list[DocumentData] = field(default_factory=list)  # header-level documents
    items: list[ItemData] = field(default_factory=list)

    @property
    def direction(self) -> Direction | None:
        return DIRECTION_BY_TYPE.get(self.type_code)

    @property
    def full_type(self) -> str:
        """The WCO TypeCode: declaration type and additional type (``IMA``, ``EXD``)."""
        return f"{self.type_code}{self.additional_type}"

    def party(self, role: PartyRole) -> PartyData | None:
        return next((p for p in self.parties if p.role == role), None)

    @property
    def trader_role(self) -> PartyRole | None:
        """The party the declaration is about: the importer on imports, the exporter on exports."""
        if self.direction is Direction.IMPORT:
            return PartyRole.IMPORTER
        if self.direction is Direction.EXPORT:
            return PartyRole.EXPORTER
        return None

    def totals(self) -> dict[str, Any]:
        """Sums over the goods items, per currency for values (a declaration may mix currencies)."""
        values: dict[str, Decimal] = {}
        for item in self.items:
            if item.value_amount is not None:
                cur = item.value_currency or self.invoice_currency
                values[cur] = values.get(cur, Decimal(0)) + item.value_amount
        return {
            "items": len(self.items),
            "net_mass": str(sum((i.net_mass or Decimal(0) for i in self.items), Decimal(0))),
            "gross_mass": str(sum((i.gross_mass or Decimal(0) for i in self.items), Decimal(0))),
            "packages": sum(i.package_count or 0 for i in self.items),
            "values": {cur: str(v) for cur, v in sorted(values.items())},
            "invoice_amount": None if self.invoice_amount is None else str(self.invoice_amount),
            "invoice_currency": self.invoice_currency,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "type": self.full_type,
            "lrn": self.lrn,
            "items": len(self.items),
            "commodity_codes": [i.commodity_code for i in self.items],
            "totals": self.totals(),
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (decimals as strings), used for content hashes and the JSON API."""
        return _jsonable(dataclasses.asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if isinstance(value, enum.Enum):
        return value.value
    return value


@dataclass
class Issue:
    """One thing wrong with a declaration, pointing at where it is.

    ``pointer`` is the WCO class-code path of the data element (``67A/68A[2]/23A/21A ID``), for XML
    senders; ``field`` the canonical path (``items.2.commodity_code``), for the form and JSON.
    ``code`` is a stable machine-readable code (``hs_unknown``); ``message`` a sentence for people.
    """

    code: str
    message: str
    field: str = ""
    pointer: str = ""
    severity: str = "error"  # or "warning": reported, does not stop lodgement

    def as_dict(self) -> dict[str, str]:
        out = {"pointer": self.pointer or self.field, "code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out
