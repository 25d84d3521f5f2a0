"""Where each canonical field lives in a DMS declaration: one table for reader, writer and pointers.

Paths are tuples of element names below ``Declaration`` (item and party paths below their own
element); a last step ``@name`` is an attribute of the element before it. Keeping one table means
an error pointer always names the element the reader actually took the value from.
"""

from __future__ import annotations

from declarations.canonical import DocumentKind, PartyRole

Path = tuple[str, ...]

GOODS_SHIPMENT: Path = ("GoodsShipment",)
ITEM: Path = ("GoodsShipment", "GovernmentAgencyGoodsItem")
CONSIGNMENT: Path = ("GoodsShipment", "Consignment")
GOODS_LOCATION: Path = (*CONSIGNMENT, "GoodsLocation")
ARRIVAL: Path = (*CONSIGNMENT, "ArrivalTransportMeans")
DEPARTURE: Path = (*CONSIGNMENT, "DepartureTransportMeans")

# Header fields that are one text value (or attribute) at one place. Fields with a rule of their
# own (type code split, inland mode, container flag, country fallbacks) are handled in the reader
# and writer but still listed here for their pointer.
HEADER: dict[str, Path] = {
    "type_code": ("TypeCode",),
    "additional_type": ("TypeCode",),
    "function_code": ("FunctionCode",),
    "lrn": ("FunctionalReferenceID",),
    "goods_item_quantity": ("GoodsItemQuantity",),
    "total_package_quantity": ("TotalPackageQuantity",),
    "invoice_amount": ("InvoiceAmount",),
    "invoice_currency": ("InvoiceAmount", "@currencyID"),
    "exchange_rate": ("CurrencyExchange", "RateNumeric"),
    "representation_code": ("Agent", "FunctionCode"),
    "supervising_office": ("SupervisingOffice", "ID"),
    "presentation_office": ("PresentationOffice", "ID"),
    "exit_office": ("ExitOffice", "ID"),
    "border_transport_mode": ("BorderTransportMeans", "ModeCode"),
    "border_transport_nationality": ("BorderTransportMeans", "RegistrationNationalityCode"),
    "inland_transport_mode": (*ARRIVAL, "ModeCode"),  # exports: DepartureTransportMeans
    "arrival_transport_id": (*ARRIVAL, "ID"),
    "arrival_transport_id_type": (*ARRIVAL, "IdentificationTypeCode"),
    "departure_transport_id": (*DEPARTURE, "ID"),
    "departure_transport_id_type": (*DEPARTURE, "IdentificationTypeCode"),
    "container": (*CONSIGNMENT, "ContainerCode"),
    "goods_location": (*GOODS_LOCATION, "Name"),
    "goods_location_type": (*GOODS_LOCATION, "TypeCode"),
    "goods_location_qualifier": (*GOODS_LOCATION, "Address", "TypeCode"),
    "goods_location_country": (*GOODS_LOCATION, "Address", "CountryCode"),
    "destination_country": (*GOODS_SHIPMENT, "Destination", "CountryCode"),
    "export_country": (*GOODS_SHIPMENT, "ExportCountry", "ID"),
    "transaction_nature": (*GOODS_SHIPMENT, "TransactionNatureCode"),
    "delivery_terms": (*GOODS_SHIPMENT, "TradeTerms", "ConditionCode"),
    "delivery_location": (*GOODS_SHIPMENT, "TradeTerms", "LocationID"),
}

# Header fields a declaration may give on each goods item instead (CDS allows DE 5/8, 5/14 and
# 8/5 at either level); the path is below GovernmentAgencyGoodsItem.
ITEM_LEVEL_ALTERNATIVES: dict[str, Path] = {
    "destination_country": ("Destination", "CountryCode"),
    "export_country": ("ExportCountry", "ID"),
    "transaction_nature": ("TransactionNatureCode",),
}

# Goods item fields, below GovernmentAgencyGoodsItem.
ITEM_FIELDS: dict[str, Path] = {
    "sequence": ("SequenceNumeric",),
    "description": ("Commodity", "Description"),
    "commodity_code": ("Commodity", "Classification", "ID"),
    "taric_codes": ("Commodity", "Classification", "ID"),
    "origin_country": ("Origin", "CountryCode"),
    "origin_type": ("Origin", "TypeCode"),
    "procedure_code": ("GovernmentProcedure", "CurrentCode"),
    "additional_procedure_codes": ("GovernmentProcedure", "CurrentCode"),
    "quantity": ("Commodity", "GoodsMeasure", "TariffQuantity"),
    "quantity_unit": ("Commodity", "GoodsMeasure", "TariffQuantity", "@unitCode"),
    "net_mass": ("Commodity", "GoodsMeasure", "NetNetWeightMeasure"),
    "gross_mass": ("Commodity", "GoodsMeasure", "GrossMassMeasure"),
    "value_amount": ("Commodity", "InvoiceLine", "ItemChargeAmount"),
    "value_currency": ("Commodity", "InvoiceLine", "ItemChargeAmount", "@currencyID"),
    "statistical_value": ("StatisticalValueAmount",),
    "statistical_currency": ("StatisticalValueAmount", "@currencyID"),
    "valuation_method": ("CustomsValuation", "MethodCode"),
    "package_count": ("Packaging", "QuantityQuantity"),
    "package_type": ("Packaging", "TypeCode"),
    "package_marks": ("Packaging", "MarksNumbersID"),
}

# Parties: where each role's element sits below Declaration. The exporter, declarant and agent
# are header classes; the others belong to the goods shipment.
PARTIES: dict[PartyRole, Path] = {
    PartyRole.DECLARANT: ("Declarant",),
    PartyRole.EXPORTER: ("Exporter",),
    PartyRole.REPRESENTATIVE: ("Agent",),
    PartyRole.IMPORTER: (*GOODS_SHIPMENT, "Importer"),
    PartyRole.CONSIGNEE: (*GOODS_SHIPMENT, "Consignee"),
    PartyRole.CONSIGNOR: (*GOODS_SHIPMENT, "Consignor"),
    PartyRole.BUYER: (*GOODS_SHIPMENT, "Buyer"),
    PartyRole.SELLER: (*GOODS_SHIPMENT, "Seller"),
}

# Party fields, below the party element.
PARTY_FIELDS: dict[str, Path] = {
    "role": (),
    "eori": ("ID",),
    "name": ("Name",),
    "street": ("Address", "Line"),
    "city": ("Address", "CityName"),
    "postcode": ("Address", "PostcodeID"),
    "country": ("Address", "CountryCode"),
}

# Documents: the element of each kind, at header level (below Declaration) and on an item.
HEADER_DOCUMENTS: dict[DocumentKind, Path] = {
    DocumentKind.ADDITIONAL: ("AdditionalDocument",),
    DocumentKind.PREVIOUS: (*GOODS_SHIPMENT, "PreviousDocument"),
}
ITEM_DOCUMENTS: dict[DocumentKind, Path] = {
    DocumentKind.ADDITIONAL: ("AdditionalDocument",),
    DocumentKind.PREVIOUS: ("PreviousDocument",),
}
DOCUMENT_FIELDS: dict[str, Path] = {
    "kind": (),
    "code": ("TypeCode",),  # the code is CategoryCode + TypeCode; TypeCode tells documents apart
    "reference": ("ID",),
    "status": ("LPCOExemptionCode",),
    "line": ("LineNumeric",),
}
