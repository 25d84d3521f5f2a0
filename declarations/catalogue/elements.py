"""The rows of the field catalogue: every data element a declaration carries, once.

The schema facets (``text``, ``digits``) are copied from the UK CDS DMS schema
(``WCO_DS/WCO_DEC_DS_2_DMS.xsd``) for the element each row's ``wco`` path names;
tests/declarations/rules/test_schema_limits.py reads them back from the XSD, so they cannot drift.
DE numbers are those of the UK CDS data element tables (the EU UCC's numbering).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from declarations.canonical import (
    DeclarationData,
    DocumentData,
    DocumentKind,
    ItemData,
    PartyData,
    PartyRole,
    TaxLineData,
)

from .model import Element, FormSpec, Path, TextLimit, Widget, WidgetKind

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# --- where things are in a DMS declaration -------------------------------------------------------

GOODS_SHIPMENT: Path = ("GoodsShipment",)
ITEM: Path = ("GoodsShipment", "GovernmentAgencyGoodsItem")
CONSIGNMENT: Path = ("GoodsShipment", "Consignment")
GOODS_LOCATION: Path = (*CONSIGNMENT, "GoodsLocation")
ARRIVAL: Path = (*CONSIGNMENT, "ArrivalTransportMeans")
DEPARTURE: Path = (*CONSIGNMENT, "DepartureTransportMeans")

# Documents: the element of each kind, at header level (below Declaration) and on an item.
HEADER_DOCUMENTS: dict[DocumentKind, Path] = {
    DocumentKind.ADDITIONAL: ("AdditionalDocument",),
    DocumentKind.PREVIOUS: (*GOODS_SHIPMENT, "PreviousDocument"),
}
ITEM_DOCUMENTS: dict[DocumentKind, Path] = {
    DocumentKind.ADDITIONAL: ("AdditionalDocument",),
    DocumentKind.PREVIOUS: ("PreviousDocument",),
}

# A goods item's duties, taxes and fees (DE 4/3-4/8), one DutyTaxFee (50A) each, below its Commodity.
TAX_LINE: Path = ("Commodity", "DutyTaxFee")
# Where a goods item's preference (DE 4/17) sits: in a DutyTaxFee too, the first one as written.
PREFERENCE: Path = (*TAX_LINE, "DutyRegimeCode")

_DIGIT = re.compile(r"[0-9]")

# --- widgets -------------------------------------------------------------------------------------

COUNTRY = Widget(WidgetKind.PICKER, code_list="country")
CURRENCY = Widget(WidgetKind.PICKER, code_list="currency")
OFFICE = Widget(WidgetKind.PICKER, code_list="customs-office", format="office")
NUMBER = Widget(WidgetKind.NUMBER, width="medium")
TAX_TYPE = Widget(WidgetKind.PICKER, code_list="tax-type")
PAYMENT_METHOD = Widget(WidgetKind.PICKER, code_list="payment-method")
EORI = Widget(WidgetKind.CODE, width="medium", format="eori", upper=True)


# --- parties -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    """A party role: how sentences name it, its DE numbers (identity, name and address), its place.

    ``id_form``: where the browser form takes this role's EORI in a field of its own (the
    declarant's); the importer's or exporter's and the other side's come from the party field set.
    """

    label: StrOrPromise
    id_de: str
    name_de: str
    wco: Path
    id_form: FormSpec | None = None


# The exporter, declarant and agent are header classes; the others belong to the goods shipment.
ROLES: dict[PartyRole, Role] = {
    PartyRole.DECLARANT: Role(
        _("declarant"),
        "3/18",
        "3/17",
        ("Declarant",),
        id_form=FormSpec(
            "declarant_eori",
            EORI,
            section="declaration",
            required=True,
            label=_("Declarant EORI"),
            help=_("The account lodging the declaration (DE 3/18)."),
        ),
    ),
    PartyRole.IMPORTER: Role(_("importer"), "3/16", "3/15", (*GOODS_SHIPMENT, "Importer")),
    PartyRole.EXPORTER: Role(_("exporter"), "3/2", "3/1", ("Exporter",)),
    PartyRole.CONSIGNEE: Role(_("consignee"), "3/10", "3/9", (*GOODS_SHIPMENT, "Consignee")),
    PartyRole.CONSIGNOR: Role(_("consignor"), "3/8", "3/7", (*GOODS_SHIPMENT, "Consignor")),
    PartyRole.REPRESENTATIVE: Role(_("representative"), "3/20", "3/19", ("Agent",)),
    PartyRole.BUYER: Role(_("buyer"), "3/27", "3/26", (*GOODS_SHIPMENT, "Buyer")),
    PartyRole.SELLER: Role(_("seller"), "3/25", "3/24", (*GOODS_SHIPMENT, "Seller")),
}

# Each attribute of a party, below the party's element. The DE number is the role's (``ROLES``):
# its identity number for the EORI, its name and address for the rest.
PARTY: tuple[Element, ...] = (
    Element(
        PartyData,
        "eori",
        "",
        _("EORI number"),
        ("ID",),
        own_format=True,
        form=FormSpec("eori", EORI),
    ),
    Element(
        PartyData,
        "name",
        "",
        _("name"),
        ("Name",),
        text=TextLimit(70),
        form=FormSpec("name", Widget(WidgetKind.TEXT, width="long")),
    ),
    Element(
        PartyData,
        "street",
        "",
        _("street and number"),
        ("Address", "Line"),
        text=TextLimit(70),
        form=FormSpec("street", Widget(WidgetKind.TEXT, width="long")),
    ),
    Element(
        PartyData,
        "city",
        "",
        _("city"),
        ("Address", "CityName"),
        text=TextLimit(35),
        form=FormSpec("city", Widget(WidgetKind.TEXT, width="medium")),
    ),
    Element(
        PartyData,
        "postcode",
        "",
        _("postcode"),
        ("Address", "PostcodeID"),
        text=TextLimit(9),
        form=FormSpec("postcode", Widget(WidgetKind.CODE)),
    ),
    Element(
        PartyData,
        "country",
        "",
        _("country"),
        ("Address", "CountryCode"),
        own_format=True,
        form=FormSpec("country", COUNTRY),
    ),
)

# --- the declaration -----------------------------------------------------------------------------

HEADER: tuple[Element, ...] = (
    Element(
        DeclarationData,
        "type_code",
        "1/1",
        _("declaration type"),
        ("TypeCode",),
        own_format=True,
        required=True,
        mapped_by_code=True,  # with the additional type, one TypeCode (IMA)
        form=FormSpec(
            "type_code",
            Widget(WidgetKind.CHOICE, choices="declaration_types"),
            section="declaration",
            required=True,
            help=_("DE 1/1"),
        ),
    ),
    Element(
        DeclarationData,
        "additional_type",
        "1/2",
        _("additional declaration type"),
        ("TypeCode",),
        own_format=True,
        mapped_by_code=True,
        form=FormSpec(
            "additional_type",
            Widget(WidgetKind.CHOICE, choices="additional_types"),
            section="declaration",
            required=True,
            help=_("DE 1/2"),
        ),
    ),
    Element(DeclarationData, "function_code", "", _("function code"), ("FunctionCode",), own_format=True),
    Element(
        DeclarationData,
        "lrn",
        "2/5",
        _("local reference number (LRN)"),
        ("FunctionalReferenceID",),
        own_format=True,
        required=True,
        parse_length=35,
        form=FormSpec(
            "lrn",
            Widget(WidgetKind.CODE, width="medium"),
            section="declaration",
            required=True,
            help=_("Your own reference for this declaration, up to 22 characters (DE 2/5)."),
        ),
    ),
    Element(
        DeclarationData,
        "goods_item_quantity",
        "1/9",
        _("total number of items"),
        ("GoodsItemQuantity",),
    ),
    Element(
        DeclarationData,
        "total_package_quantity",
        "6/18",
        _("total number of packages"),
        ("TotalPackageQuantity",),
        digits=(8, 0),
    ),
    Element(
        DeclarationData,
        "invoice_amount",
        "4/11",
        _("total amount invoiced"),
        ("InvoiceAmount",),
        digits=(16, 3),
        form=FormSpec("invoice_amount", NUMBER, section="value", help=_("DE 4/11")),
    ),
    Element(
        DeclarationData,
        "invoice_currency",
        "4/10",
        _("invoice currency"),
        ("InvoiceAmount", "@currencyID"),
        own_format=True,
        form=FormSpec("invoice_currency", CURRENCY, section="value", help=_("For example GBP, EUR, USD.")),
    ),
    Element(
        DeclarationData,
        "exchange_rate",
        "4/15",
        _("exchange rate"),
        ("CurrencyExchange", "RateNumeric"),
        digits=(12, 5),
    ),
    Element(
        DeclarationData,
        "freight_amount",
        "4/19",
        _("transport costs to the final destination"),
        (*GOODS_SHIPMENT, "CustomsValuation", "FreightChargeAmount"),
        digits=(16, 3),
        form=FormSpec(
            "freight_amount",
            NUMBER,
            section="value",
            label=_("Transport costs"),
            help=_("Freight to the final destination, where it is not in the item prices (DE 4/19)."),
        ),
    ),
    Element(
        DeclarationData,
        "freight_currency",
        "4/19",
        _("currency of the transport costs"),
        (*GOODS_SHIPMENT, "CustomsValuation", "FreightChargeAmount", "@currencyID"),
        own_format=True,
        form=FormSpec(
            "freight_currency", CURRENCY, section="value", label=_("Currency of the transport costs")
        ),
    ),
    Element(
        DeclarationData,
        "representation_code",
        "3/21",
        _("representation code"),
        ("Agent", "FunctionCode"),
        text=TextLimit(3),
        form=FormSpec(
            "representation_code",
            Widget(WidgetKind.CHOICE, choices="representation"),
            section="declaration",
            label=_("Representation"),
            help=_("Direct or indirect, when the declarant lodges for the importer or exporter (DE 3/21)."),
        ),
    ),
    Element(
        DeclarationData,
        "exit_office",
        "5/12",
        _("office of exit"),
        ("ExitOffice", "ID"),
        own_format=True,
        form=FormSpec(
            "exit_office",
            Widget(WidgetKind.PICKER, code_list="exit-office", format="office"),
            section="offices",
            help=_("Exports only (DE 5/12)."),
        ),
    ),
    Element(
        DeclarationData,
        "supervising_office",
        "5/27",
        _("supervising office"),
        ("SupervisingOffice", "ID"),
        own_format=True,
        form=FormSpec(
            "supervising_office",
            OFFICE,
            section="offices",
            help=_("The office supervising a special procedure, such as customs warehousing (DE 5/27)."),
        ),
    ),
    Element(
        DeclarationData,
        "presentation_office",
        "5/26",
        _("office of presentation"),
        ("PresentationOffice", "ID"),
        own_format=True,
        form=FormSpec(
            "presentation_office",
            OFFICE,
            section="offices",
            help=_("Where the goods are presented to customs, if not at the location of goods (DE 5/26)."),
        ),
    ),
    Element(
        DeclarationData,
        "border_transport_mode",
        "7/4",
        _("mode of transport at the border"),
        ("BorderTransportMeans", "ModeCode"),
        text=TextLimit(1, _DIGIT, _("one digit (for example 1)")),  # length 1, ([0-9])*
        form=FormSpec(
            "border_transport_mode",
            Widget(WidgetKind.CHOICE, choices="transport_modes"),
            section="transport",
            help=_("DE 7/4"),
        ),
    ),
    Element(
        DeclarationData,
        "border_transport_nationality",
        "7/15",
        _("nationality of the means of transport"),
        ("BorderTransportMeans", "RegistrationNationalityCode"),
        own_format=True,
        form=FormSpec("border_transport_nationality", COUNTRY, section="transport", help=_("DE 7/15")),
    ),
    Element(
        DeclarationData,
        "inland_transport_mode",
        "7/5",
        _("inland mode of transport"),
        (*ARRIVAL, "ModeCode"),
        text=TextLimit(1, _DIGIT, _("one digit (for example 3)")),
        read_also=((*DEPARTURE, "ModeCode"),),
        mapped_by_code=True,  # the arrival means' on imports, the departure means' on exports
    ),
    Element(
        DeclarationData,
        "arrival_transport_id",
        "7/9",
        _("identity of the means of transport at arrival"),
        (*ARRIVAL, "ID"),
        text=TextLimit(35),
        form=FormSpec(
            "transport_id",
            Widget(WidgetKind.TEXT, width="medium"),
            section="transport",
            label=_("Identity of the means of transport"),
            help=_("On arrival for imports (DE 7/9), at departure for exports (DE 7/7)."),
            mapped_by_code=True,
        ),
    ),
    Element(
        DeclarationData,
        "arrival_transport_id_type",
        "7/9",
        _("type of identity of the means of transport at arrival"),
        (*ARRIVAL, "IdentificationTypeCode"),
        text=TextLimit(17),
        form=FormSpec(
            "transport_id_type",
            Widget(WidgetKind.CHOICE, choices="transport_id_types"),
            section="transport",
            label=_("Type of transport identity"),
            mapped_by_code=True,
        ),
    ),
    Element(
        DeclarationData,
        "departure_transport_id",
        "7/7",
        _("identity of the means of transport at departure"),
        (*DEPARTURE, "ID"),
        text=TextLimit(35),
        shown_at="transport_id",
    ),
    Element(
        DeclarationData,
        "departure_transport_id_type",
        "7/7",
        _("type of identity of the means of transport at departure"),
        (*DEPARTURE, "IdentificationTypeCode"),
        text=TextLimit(17),
        shown_at="transport_id_type",
    ),
    Element(
        DeclarationData,
        "container",
        "7/2",
        _("container"),
        (*CONSIGNMENT, "ContainerCode"),
        mapped_by_code=True,  # a flag, sent as 0 or 1
    ),
    Element(
        DeclarationData,
        "goods_location",
        "5/23",
        _("location of goods"),
        (*GOODS_LOCATION, "Name"),
        text=TextLimit(256),
        # HMRC's samples send the location code as Name, some others as ID.
        read_also=((*GOODS_LOCATION, "ID"),),
        form=FormSpec(
            "goods_location",
            Widget(WidgetKind.PICKER, width="medium", code_list="goods-location"),
            section="transport",
            help=_("Where the goods can be examined, for example WLALONBTW (DE 5/23)."),
        ),
    ),
    Element(
        DeclarationData,
        "goods_location_type",
        "5/23",
        _("type of location of goods"),
        (*GOODS_LOCATION, "TypeCode"),
        text=TextLimit(3),
        shown_at="goods_location",
    ),
    Element(
        DeclarationData,
        "goods_location_qualifier",
        "5/23",
        _("qualifier of the location of goods"),
        (*GOODS_LOCATION, "Address", "TypeCode"),
        text=TextLimit(3),
        shown_at="goods_location",
    ),
    Element(
        DeclarationData,
        "goods_location_country",
        "5/23",
        _("country of the goods location"),
        (*GOODS_LOCATION, "Address", "CountryCode"),
        own_format=True,
        shown_at="goods_location",
    ),
    Element(
        DeclarationData,
        "destination_country",
        "5/8",
        _("country of destination"),
        (*GOODS_SHIPMENT, "Destination", "CountryCode"),
        own_format=True,
        item_level=("Destination", "CountryCode"),
        form=FormSpec("destination_country", COUNTRY, section="value", help=_("DE 5/8")),
    ),
    Element(
        DeclarationData,
        "export_country",
        "5/14",
        _("country of dispatch or export"),
        (*GOODS_SHIPMENT, "ExportCountry", "ID"),
        own_format=True,
        item_level=("ExportCountry", "ID"),
        form=FormSpec("export_country", COUNTRY, section="value", help=_("DE 5/14")),
    ),
    Element(
        DeclarationData,
        "transaction_nature",
        "8/5",
        _("nature of transaction"),
        (*GOODS_SHIPMENT, "TransactionNatureCode"),
        text=TextLimit(2, re.compile(r"[0-9]{1,2}"), _("one or two digits (for example 11)")),  # ([0-9])*
        item_level=("TransactionNatureCode",),
    ),
    Element(
        DeclarationData,
        "delivery_terms",
        "4/1",
        _("delivery terms"),
        (*GOODS_SHIPMENT, "TradeTerms", "ConditionCode"),
        text=TextLimit(3, re.compile(r"[A-Za-z]{3}"), _("three letters (for example CIF)")),  # ([a-zA-Z])*
    ),
    Element(
        DeclarationData,
        "delivery_location",
        "4/1",
        _("place of delivery"),
        (*GOODS_SHIPMENT, "TradeTerms", "LocationID"),
        text=TextLimit(17),
    ),
)

# --- goods items ---------------------------------------------------------------------------------

ITEMS: tuple[Element, ...] = (
    Element(ItemData, "sequence", "1/6", _("item number"), ("SequenceNumeric",), mapped_by_code=True),
    Element(
        ItemData,
        "description",
        "6/8",
        _("description of goods"),
        ("Commodity", "Description"),
        text=TextLimit(512),
        form=FormSpec("description", Widget(WidgetKind.TEXT, width="long"), required=True, help=_("DE 6/8")),
    ),
    Element(
        ItemData,
        "commodity_code",
        "6/14",
        _("commodity code"),
        ("Commodity", "Classification", "ID"),
        own_format=True,
        mapped_by_code=True,  # the Classification of type TSP
        form=FormSpec(
            "commodity_code",
            Widget(WidgetKind.CODE, width="medium", format="commodity"),
            required=True,
            help=_("6, 8 or 10 digits (DE 6/14–6/15)."),
        ),
    ),
    Element(
        ItemData,
        "taric_codes",
        "6/16",
        _("additional commodity code"),
        ("Commodity", "Classification", "ID"),  # each one a Classification of its own
        text=TextLimit(18),
        mapped_by_code=True,
    ),
    Element(
        ItemData,
        "origin_country",
        "5/15",
        _("country of origin"),
        ("Origin", "CountryCode"),
        own_format=True,
        form=FormSpec("origin_country", COUNTRY),
    ),
    Element(
        ItemData,
        "origin_type",
        "5/15",
        _("type of origin"),
        ("Origin", "TypeCode"),
        text=TextLimit(3),
        shown_at="origin_country",
    ),
    Element(
        ItemData,
        "quantity",
        "6/2",
        _("quantity"),
        ("Commodity", "GoodsMeasure", "TariffQuantity"),
        digits=(16, 6),
        form=FormSpec("quantity", NUMBER, help=_("Supplementary units (DE 6/2).")),
    ),
    Element(
        ItemData,
        "quantity_unit",
        "6/2",
        _("unit of the quantity"),
        ("Commodity", "GoodsMeasure", "TariffQuantity", "@unitCode"),
        text=TextLimit(5),  # 1 to 5 characters
        form=FormSpec(
            "quantity_unit",
            Widget(WidgetKind.CODE, upper=True),
            label=_("Unit"),
            help=_("For example NAR, KGM, LTR."),
        ),
    ),
    Element(
        ItemData,
        "net_mass",
        "6/1",
        _("net mass"),
        ("Commodity", "GoodsMeasure", "NetNetWeightMeasure"),
        digits=(16, 6),
        unit_code="KGM",
        form=FormSpec("net_mass", NUMBER, label=_("Net mass (kg)")),
    ),
    Element(
        ItemData,
        "gross_mass",
        "6/5",
        _("gross mass"),
        ("Commodity", "GoodsMeasure", "GrossMassMeasure"),
        digits=(16, 6),
        unit_code="KGM",
        form=FormSpec("gross_mass", NUMBER, label=_("Gross mass (kg)")),
    ),
    Element(
        ItemData,
        "value_amount",
        "4/14",
        _("item price"),
        ("Commodity", "InvoiceLine", "ItemChargeAmount"),
        digits=(16, 3),
        form=FormSpec("value_amount", NUMBER, help=_("DE 4/14")),
    ),
    Element(
        ItemData,
        "value_currency",
        "4/14",
        _("currency of the item price"),
        ("Commodity", "InvoiceLine", "ItemChargeAmount", "@currencyID"),
        own_format=True,
        form=FormSpec("value_currency", CURRENCY, label=_("Currency")),
    ),
    Element(
        ItemData,
        "procedure_code",
        "1/10",
        _("procedure code"),
        ("GovernmentProcedure", "CurrentCode"),
        own_format=True,
        mapped_by_code=True,  # CurrentCode and PreviousCode of the first GovernmentProcedure
        form=FormSpec(
            "procedure_code",
            Widget(WidgetKind.PICKER, code_list="procedure", format="procedure"),
            help=_("Four digits, like 4000 (DE 1/10)."),
        ),
    ),
    Element(
        ItemData,
        "additional_procedure_codes",
        "1/11",
        _("additional procedure codes"),
        ("GovernmentProcedure", "CurrentCode"),  # each one a GovernmentProcedure of its own
        own_format=True,
        max_length=3,
        mapped_by_code=True,
        form=FormSpec(
            "additional_procedure_code",
            Widget(WidgetKind.CODE, width="medium", upper=True),
            help=_("Three characters each, separated by spaces, like 000 (DE 1/11)."),
            mapped_by_code=True,
            max_length=40,
        ),
    ),
    Element(
        ItemData,
        "statistical_value",
        "8/6",
        _("statistical value"),
        ("StatisticalValueAmount",),
        digits=(16, 3),
        shown_at="value_amount",
    ),
    Element(
        ItemData,
        "statistical_currency",
        "8/6",
        _("currency of the statistical value"),
        ("StatisticalValueAmount", "@currencyID"),
        text=TextLimit(3, re.compile(r"[A-Z]{3}"), _("three capital letters (for example GBP)")),
    ),
    Element(
        ItemData,
        "valuation_method",
        "4/16",
        _("valuation method"),
        ("CustomsValuation", "MethodCode"),
        text=TextLimit(3),
    ),
    Element(
        ItemData,
        "valuation_indicator",
        "4/13",
        _("valuation indicator"),
        ("ValuationAdjustment", "AdditionCode"),
        text=TextLimit(4),
        form=FormSpec(
            "valuation_indicator",
            Widget(WidgetKind.CODE, upper=True),
            section="duties",
            label=_("Valuation indicators"),
            help=_("Four digits, for example 0000 (DE 4/13)."),
        ),
    ),
    Element(
        ItemData,
        "preference",
        "4/17",
        _("preference"),
        PREFERENCE,
        text=TextLimit(3),
        mapped_by_code=True,  # in the first DutyTaxFee as written, read from whichever carries it
        form=FormSpec(
            "preference",
            Widget(WidgetKind.CODE),
            section="duties",
            help=_("For example 100, no preference claimed (DE 4/17)."),
        ),
    ),
    Element(
        ItemData,
        "package_count",
        "6/10",
        _("number of packages"),
        ("Packaging", "QuantityQuantity"),
        digits=(8, 0),
        mapped_by_code=True,  # one Packaging, numbered 1
    ),
    Element(
        ItemData,
        "package_type",
        "6/9",
        _("type of packages"),
        ("Packaging", "TypeCode"),
        own_format=True,
        mapped_by_code=True,
    ),
    Element(
        ItemData,
        "package_marks",
        "6/11",
        _("shipping marks"),
        ("Packaging", "MarksNumbersID"),
        text=TextLimit(512),
        mapped_by_code=True,
    ),
)

# --- documents (on the declaration and on goods items) --------------------------------------------

DOCUMENTS: tuple[Element, ...] = (
    Element(
        DocumentData,
        "code",
        "2/1, 2/3",
        _("document type"),
        ("TypeCode",),  # the code is CategoryCode + TypeCode; TypeCode tells documents apart
        own_format=True,
        required=True,
        mapped_by_code=True,
    ),
    Element(
        DocumentData,
        "reference",
        "2/1, 2/3",
        _("reference"),
        ("ID",),
        text=TextLimit(70),
        mapped_by_code=True,
    ),
    Element(
        DocumentData,
        "status",
        "2/3",
        _("status"),
        ("LPCOExemptionCode",),  # on an item's additional documents only
        text=TextLimit(3),
        mapped_by_code=True,
    ),
    Element(
        DocumentData,
        "line",
        "2/1",
        _("line number"),
        ("LineNumeric",),  # on previous documents only
        digits=(5, 0),
        minimum=1,
        mapped_by_code=True,
    ),
    # Writing-off (DE 2/3): on an item's additional documents only, what it takes off a licence.
    Element(
        DocumentData,
        "write_off_quantity",
        "2/3",
        _("quantity written off"),
        ("WriteOff", "QuantityQuantity"),
        digits=(16, 6),
        mapped_by_code=True,
    ),
    Element(
        DocumentData,
        "write_off_unit",
        "2/3",
        _("unit of the quantity written off"),
        ("WriteOff", "QuantityQuantity", "@unitCode"),
        text=TextLimit(5),
        mapped_by_code=True,
    ),
    Element(
        DocumentData,
        "write_off_amount",
        "2/3",
        _("amount written off"),
        ("WriteOff", "AmountAmount"),
        digits=(16, 3),
        mapped_by_code=True,
    ),
    Element(
        DocumentData,
        "write_off_currency",
        "2/3",
        _("currency of the amount written off"),
        ("WriteOff", "AmountAmount", "@currencyID"),
        own_format=True,
        mapped_by_code=True,
    ),
)

# --- duties and taxes of a goods item (below its DutyTaxFee) --------------------------------------

TAX_LINES: tuple[Element, ...] = (
    Element(
        TaxLineData,
        "tax_type",
        "4/3",
        _("tax type"),
        ("TypeCode",),
        text=TextLimit(3),
        form=FormSpec("tax_type", TAX_TYPE, label=_("Tax type"), help=_("For example A00 or B00 (DE 4/3).")),
    ),
    Element(
        TaxLineData,
        "base_quantity",
        "4/4",
        _("tax base quantity"),
        ("SpecificTaxBaseQuantity",),
        digits=(16, 6),
        form=FormSpec("base_quantity", NUMBER, label=_("Tax base quantity")),
    ),
    Element(
        TaxLineData,
        "base_unit",
        "4/4",
        _("unit of the tax base"),
        ("SpecificTaxBaseQuantity", "@unitCode"),
        text=TextLimit(5),  # 1 to 5 characters
        form=FormSpec(
            "base_unit",
            Widget(WidgetKind.CODE, upper=True),
            label=_("Base unit"),
            help=_("For example KGM, HLT, or GBP for a value."),
        ),
    ),
    Element(
        TaxLineData,
        "base_amount",
        "4/4",
        _("tax base amount"),
        ("AdValoremTaxBaseAmount",),
        digits=(16, 3),
        form=FormSpec("base_amount", NUMBER, label=_("Tax base amount")),
    ),
    Element(
        TaxLineData,
        "base_currency",
        "4/4",
        _("currency of the tax base"),
        ("AdValoremTaxBaseAmount", "@currencyID"),
        own_format=True,
        form=FormSpec("base_currency", CURRENCY, label=_("Base currency")),
    ),
    Element(
        TaxLineData,
        "rate",
        "4/5",
        _("tax rate"),
        ("TaxRateNumeric",),
        form=FormSpec("rate", NUMBER, label=_("Tax rate")),
    ),
    Element(
        TaxLineData,
        "assessed_amount",
        "4/7",
        _("total taxes"),
        ("Payment", "TaxAssessedAmount"),
        digits=(16, 3),
        form=FormSpec("assessed_amount", NUMBER, label=_("Total tax"), help=_("DE 4/7")),
    ),
    Element(
        TaxLineData,
        "payable_amount",
        "4/6",
        _("payable tax amount"),
        ("Payment", "PaymentAmount"),
        digits=(16, 3),
        form=FormSpec("payable_amount", NUMBER, label=_("Payable tax"), help=_("DE 4/6")),
    ),
    Element(
        TaxLineData,
        "method_of_payment",
        "4/8",
        _("method of payment"),
        ("Payment", "MethodCode"),
        text=TextLimit(1, re.compile(r"[A-Za-z]"), _("one letter (for example E)")),  # length 1, ([a-zA-Z])*
        form=FormSpec(
            "method_of_payment",
            PAYMENT_METHOD,
            label=_("Method of payment"),
            help=_("For example E (DE 4/8)."),
        ),
    ),
    Element(
        TaxLineData,
        "quota_order",
        "8/1",
        _("quota order number"),
        ("QuotaOrderID",),
        text=TextLimit(17),
        form=FormSpec("quota_order", Widget(WidgetKind.CODE), label=_("Quota order number")),
    ),
)
