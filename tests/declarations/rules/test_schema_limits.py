"""The rules refuse what the WCO DM schema cannot carry, so an accepted declaration always downloads.

The rules' tables (``rules.SCHEMA_TEXT_LIMITS``, ``rules.SCHEMA_DIGITS``) are checked here against
the facets of the DMS schema's own element types, reached through the same paths the XML writer
writes to; then one step beyond each limit is refused with its code, the canonical field and the
WCO pointer. ``tests/declarations/wco/test_writer_limits.py`` shows everything at the limits
accepted and written as schema-valid XML.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from rest_framework.test import APIClient

from declarations import rules
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
from declarations.models import Declaration
from declarations.validation import validate
from declarations.wco import paths
from declarations.wco.schema import schema_dir

from ..payloads import import_payload
from .builders import build_export, build_import

pytestmark = pytest.mark.django_db

XS = "{http://www.w3.org/2001/XMLSchema}"
# The DMS text types' own pattern: some text, on one line. Anything else is a narrower shape.
ANY_TEXT = r".*[^\s].*"

RECORDS = (DeclarationData, PartyData, ItemData, DocumentData, TaxLineData)


# --- the schema's facets, through the writer's paths --------------------------------------------


@functools.cache
def _types() -> dict[str, etree._Element]:
    """Every named type of the DMS schema set, by local name."""
    found: dict[str, etree._Element] = {}
    for path in sorted(Path(schema_dir()).rglob("*.xsd")):
        for definition in etree.parse(str(path)).getroot():
            if definition.get("name") and definition.tag in (f"{XS}complexType", f"{XS}simpleType"):
                found.setdefault(definition.get("name", ""), definition)
    return found


@functools.cache
def _declaration() -> etree._Element:
    root = etree.parse(str(schema_dir() / "WCO_DEC_2_DMS.xsd")).getroot()
    found = root.find(f"{XS}complexType[@name='Declaration']")
    assert found is not None
    return found


def _local(name: str | None) -> str:
    return (name or "").rpartition(":")[2]


def _facets(definition: etree._Element) -> dict[str, list[str]]:
    facets: dict[str, list[str]] = {}
    for restriction in definition.iter(f"{XS}restriction"):
        for facet in restriction:
            if isinstance(facet.tag, str) and facet.get("value") is not None:
                facets.setdefault(etree.QName(facet).localname, []).append(facet.get("value", ""))
    return facets


def schema_facets(path: tuple[str, ...]) -> dict[str, list[str]] | None:
    """The facets of the type of the element (or ``@attribute``) at ``path`` below Declaration."""
    model = _declaration()
    element: etree._Element | None = None
    for step in path:
        if step.startswith("@"):
            assert element is not None
            content = _types()[_local(element.get("type"))]
            restriction = content.find(f".//{XS}restriction")
            assert restriction is not None
            base = _types()[_local(restriction.get("base"))]
            attribute = base.find(f".//{XS}attribute[@name='{step[1:]}']")
            assert attribute is not None, path
            return _facets(_types()[_local(attribute.get("type"))])
        element = model.find(f"{XS}sequence/{XS}element[@name='{step}']")
        if element is None:
            return None
        inner = element.find(f"{XS}complexType")
        if inner is not None:
            model = inner
    assert element is not None
    return _facets(_types()[_local(element.get("type"))])


def written_at(record: type, name: str) -> list[tuple[str, ...]]:
    """Every path below Declaration the writer may put canonical field ``name`` of ``record`` at."""
    if record is DeclarationData:
        found = [paths.HEADER[name]]
        if name == "inland_transport_mode":
            found.append((*paths.DEPARTURE, "ModeCode"))  # on exports
        return found
    if record is PartyData:
        return [(*place, *paths.PARTY_FIELDS[name]) for place in paths.PARTIES.values()]
    if record is ItemData:
        return [(*paths.ITEM, *paths.ITEM_FIELDS[name])]
    if record is TaxLineData:
        return [(*paths.ITEM, *paths.TAX_LINE, *paths.TAX_LINE_FIELDS[name])]
    assert record is DocumentData
    found = []
    header_level: tuple[str, ...] = ()
    for prefix, places in ((header_level, paths.HEADER_DOCUMENTS), (paths.ITEM, paths.ITEM_DOCUMENTS)):
        for place in places.values():
            found.append((*prefix, *place, *paths.DOCUMENT_FIELDS[name]))
    return found


def facets_of(record: type, name: str) -> list[dict[str, list[str]]]:
    """The facets of every element the field is written to (a document status exists on items only)."""
    found = [f for f in map(schema_facets, written_at(record, name)) if f is not None]
    assert found, (record.__name__, name)
    return found


def text_fields(record: type) -> set[str]:
    hints = typing.get_type_hints(record)
    return {f.name for f in dataclasses.fields(record) if hints[f.name] in (str, list[str])}


def number_fields(record: type) -> set[str]:
    hints = typing.get_type_hints(record)
    numbers = (Decimal | None, int | None)
    return {f.name for f in dataclasses.fields(record) if hints[f.name] in numbers}


# --- the tables are the schema's -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "name"),
    [(record, name) for record in RECORDS for name in rules.SCHEMA_TEXT_LIMITS[record]],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_text_limit_is_the_schema_facet_of_every_element_the_writer_fills(record: type, name: str) -> None:
    limit = rules.SCHEMA_TEXT_LIMITS[record][name]
    for facets in facets_of(record, name):
        (length,) = facets.get("maxLength") or facets["length"]
        assert limit.max_length == int(length)
        narrower = [p for p in facets.get("pattern", []) if p != ANY_TEXT]
        # A narrower pattern (digits, letters, capitals) needs one in the table too.
        assert (limit.pattern is not None) == bool(narrower)


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.__name__)
def test_every_text_field_has_a_schema_limit_or_a_format_rule_of_its_own(record: type) -> None:
    limited = set(rules.SCHEMA_TEXT_LIMITS[record])
    own = rules.TEXT_WITH_OWN_FORMAT[record]
    assert limited & own == set()
    assert limited | own == text_fields(record)


@pytest.mark.parametrize(
    ("record", "name"),
    [(record, name) for record in RECORDS for name in rules.SCHEMA_DIGITS.get(record, {})],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_digit_limits_are_the_schema_facets_of_the_element_the_writer_fills(record: type, name: str) -> None:
    total, places = rules.SCHEMA_DIGITS[record][name]
    for facets in facets_of(record, name):
        assert (total, places) == (int(facets["totalDigits"][0]), int(facets["fractionDigits"][0]))


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.__name__)
def test_every_number_the_writer_sends_has_schema_digits_or_a_range_rule_of_its_own(record: type) -> None:
    limited = set(rules.SCHEMA_DIGITS.get(record, {}))
    assert limited | (number_fields(record) & rules.NUMBERS_WITH_OWN_DIGITS) == number_fields(record)


def test_a_column_shorter_than_the_schema_element_sets_the_text_limit() -> None:
    # GoodsLocation/Name takes 256 characters; the column that stores the location takes 35.
    assert rules.SCHEMA_TEXT_LIMITS[DeclarationData]["goods_location"].max_length == 256
    assert rules.text_limits(Declaration)["goods_location"].max_length == 35


# --- one step beyond each limit is refused --------------------------------------------------------


def errors(data: DeclarationData) -> list[Issue]:
    return [i for i in validate(data, unregistered_parties_are_errors=False) if i.severity == "error"]


def found(data: DeclarationData) -> list[tuple[str, str, str]]:
    return [(i.code, i.field, i.pointer) for i in errors(data)]


def setting(
    select: Callable[[DeclarationData], object], **values: object
) -> Callable[[DeclarationData], None]:
    """A change to a valid declaration: ``values`` set on the record ``select`` picks."""

    def change(data: DeclarationData) -> None:
        record = select(data)
        for name, value in values.items():
            setattr(record, name, value)

    return change


def header(**values: object) -> Callable[[DeclarationData], None]:
    return setting(lambda data: data, **values)


def exporter(**values: object) -> Callable[[DeclarationData], None]:
    return setting(lambda data: data.party(PartyRole.EXPORTER), **values)


def item(**values: object) -> Callable[[DeclarationData], None]:
    return setting(lambda data: data.items[0], **values)


def item_document(**values: object) -> Callable[[DeclarationData], None]:
    return setting(lambda data: data.items[0].documents[0], **values)


def tax_line(**values: object) -> Callable[[DeclarationData], None]:
    """Goods item 1 declares one tax line (customs duty by deferment) with ``values``."""

    def change(data: DeclarationData) -> None:
        data.items[0].tax_lines = [TaxLineData(**{"tax_type": "A00", "method_of_payment": "E", **values})]  # type: ignore[arg-type]

    return change


def header_document(**values: object) -> Callable[[DeclarationData], None]:
    """The declaration's first document: the previous document ``build_import`` gives it."""
    return setting(lambda data: data.documents[0], **values)


TOO_LONG = [
    pytest.param(header(representation_code="22"), "representation_code", "42A/05A FunctionCode", id="agent"),
    pytest.param(
        header(arrival_transport_id="X" * 36), "arrival_transport_id", "67A/28A/10A ID", id="arrival-id"
    ),
    pytest.param(
        header(arrival_transport_id_type="100"),
        "arrival_transport_id_type",
        "67A/28A/10A IdentificationTypeCode",
        id="arrival-id-type",
    ),
    pytest.param(
        header(departure_transport_id="X" * 36), "departure_transport_id", "67A/28A/46A ID", id="departure-id"
    ),
    pytest.param(
        header(departure_transport_id_type="100"),
        "departure_transport_id_type",
        "67A/28A/46A IdentificationTypeCode",
        id="departure-id-type",
    ),
    pytest.param(header(goods_location="W" * 36), "goods_location", "67A/28A/64A Name", id="goods-location"),
    pytest.param(
        header(goods_location_type="AB"), "goods_location_type", "67A/28A/64A TypeCode", id="location-type"
    ),
    pytest.param(
        header(goods_location_qualifier="UU"),
        "goods_location_qualifier",
        "67A/28A/64A/04A TypeCode",
        id="location-qualifier",
    ),
    pytest.param(
        header(delivery_location="X" * 18), "delivery_location", "67A/22B LocationID", id="delivery-location"
    ),
    pytest.param(exporter(name="N" * 71), "parties.exporter.name", "42A/57A Name", id="party-name"),
    pytest.param(exporter(street="S" * 71), "parties.exporter.street", "42A/57A/04A Line", id="party-street"),
    pytest.param(exporter(city="C" * 36), "parties.exporter.city", "42A/57A/04A CityName", id="party-city"),
    pytest.param(
        exporter(postcode="P" * 10),
        "parties.exporter.postcode",
        "42A/57A/04A PostcodeID",
        id="party-postcode",
    ),
    pytest.param(
        item(description="D" * 513), "items.1.description", "67A/68A[1]/23A Description", id="description"
    ),
    pytest.param(
        item(taric_codes=["00", "T" * 19]),
        "items.1.taric_codes.2",
        "67A/68A[1]/23A/21A[3] ID",
        id="taric-code",
    ),
    pytest.param(
        item(origin_type="12"), "items.1.origin_type", "67A/68A[1]/92A[1] TypeCode", id="origin-type"
    ),
    pytest.param(
        item(quantity=Decimal(1), quantity_unit="KGMGBP"),
        "items.1.quantity_unit",
        "67A/68A[1]/23A/65A TariffQuantity",
        id="quantity-unit",
    ),
    pytest.param(
        item(valuation_method="12"),
        "items.1.valuation_method",
        "67A/68A[1]/41A MethodCode",
        id="valuation-method",
    ),
    pytest.param(
        item(package_marks="M" * 513), "items.1.package_marks", "67A/68A[1]/93A[1] MarksNumbersID", id="marks"
    ),
    pytest.param(
        item(valuation_indicator="00000"),
        "items.1.valuation_indicator",
        "67A/68A[1]/39B AdditionCode",
        id="valuation-indicator",
    ),
    pytest.param(
        item(preference="1000"), "items.1.preference", "67A/68A[1]/23A/50A[1] DutyRegimeCode", id="preference"
    ),
    pytest.param(
        tax_line(tax_type="A000"),
        "items.1.tax_lines.1.tax_type",
        "67A/68A[1]/23A/50A[1] TypeCode",
        id="tax-type",
    ),
    pytest.param(
        tax_line(base_quantity=Decimal(2), base_unit="HLTGBP"),
        "items.1.tax_lines.1.base_unit",
        "67A/68A[1]/23A/50A[1] SpecificTaxBaseQuantity",
        id="tax-base-unit",
    ),
    pytest.param(
        tax_line(quota_order="0940671"),  # the column keeps six digits of the schema's 17
        "items.1.tax_lines.1.quota_order",
        "67A/68A[1]/23A/50A[1] QuotaOrderID",
        id="quota-order",
    ),
    pytest.param(
        item_document(reference="R" * 71),
        "items.1.documents.1.reference",
        "67A/68A[1]/02A[1] ID",
        id="document-reference",
    ),
    pytest.param(
        item_document(status="ACE"),
        "items.1.documents.1.status",
        "67A/68A[1]/02A[1] LPCOExemptionCode",
        id="document-status",
    ),
    pytest.param(
        header_document(reference="R" * 71), "documents.1.reference", "67A/99A[1] ID", id="previous-reference"
    ),
]


@pytest.mark.parametrize(("change", "field", "pointer"), TOO_LONG)
def test_text_one_character_over_its_limit_is_refused_with_field_and_pointer(
    change: Callable[[DeclarationData], None], field: str, pointer: str
) -> None:
    data = build_import()
    change(data)
    assert found(data) == [("text_too_long", field, pointer)]


def test_text_too_long_says_where_what_how_long_and_the_limit() -> None:
    data = build_import()
    data.items[0].description = "D" * 513
    data.goods_location = "W" * 36
    assert [i.message for i in errors(data)] == [
        "The declaration: the location of goods has 36 characters; shorten it to at most 35.",
        "Goods item 1: the description of goods has 513 characters; shorten it to at most 512.",
    ]


def test_text_is_counted_in_characters_not_bytes() -> None:
    data = build_import()
    data.items[0].description = "é😀" * 256  # 512 characters, 1,536 bytes in UTF-8
    assert errors(data) == []


WRONG_SHAPE = [
    pytest.param(
        header(border_transport_mode="A"),
        "border_transport_mode",
        "42A/15A ModeCode",
        "one digit",
        id="border-mode",
    ),
    pytest.param(
        header(inland_transport_mode="10"),
        "inland_transport_mode",
        "67A/28A/10A ModeCode",
        "one digit",
        id="inland-mode",
    ),
    pytest.param(
        header(transaction_nature="1A"),
        "transaction_nature",
        "67A TransactionNatureCode",
        "one or two digits",
        id="transaction-nature",
    ),
    pytest.param(
        header(delivery_terms="CI"),
        "delivery_terms",
        "67A/22B ConditionCode",
        "three letters",
        id="incoterm-short",
    ),
    pytest.param(
        header(delivery_terms="C1F"),
        "delivery_terms",
        "67A/22B ConditionCode",
        "three letters",
        id="incoterm-digit",
    ),
    pytest.param(
        tax_line(method_of_payment="1"),
        "items.1.tax_lines.1.method_of_payment",
        "67A/68A[1]/23A/50A[1]/94A MethodCode",
        "one letter",
        id="method-of-payment",
    ),
    pytest.param(
        item(statistical_value=Decimal(1), statistical_currency="gbp"),
        "items.1.statistical_currency",
        "67A/68A[1] StatisticalValueAmount",
        "three capital letters",
        id="statistical-currency",
    ),
]


@pytest.mark.parametrize(("change", "field", "pointer", "shape"), WRONG_SHAPE)
def test_code_of_another_shape_than_the_schema_takes_is_refused(
    change: Callable[[DeclarationData], None], field: str, pointer: str, shape: str
) -> None:
    data = build_import()
    change(data)
    (issue,) = errors(data)
    assert (issue.code, issue.field, issue.pointer) == ("text_format", field, pointer)
    assert f"declare {shape} (for example" in issue.message


def test_inland_mode_on_an_export_points_at_the_departure_means_of_transport() -> None:
    data = build_export()
    data.inland_transport_mode = "A"
    assert found(data) == [("text_format", "inland_transport_mode", "67A/28A/46A ModeCode")]


def test_statistical_currency_of_hmrcs_sample_shape_is_accepted_unknown_or_not() -> None:
    # An accepted HMRC sample sends currencyID="GGG": the schema asks for three capitals, no more.
    data = build_import()
    data.items[0].statistical_value, data.items[0].statistical_currency = Decimal(1), "GGG"
    assert errors(data) == []


@pytest.mark.parametrize(
    "character",
    ["\n", "\r", "\t", "\x00", "\x1b", "\ud800", "\ufffe"],
    ids=["line-feed", "carriage-return", "tab", "nul", "escape", "lone-surrogate", "non-character"],
)
def test_text_with_a_character_a_declaration_cannot_carry_is_refused(character: str) -> None:
    data = build_import()
    data.items[0].description = f"Parts for{character}shavers"
    data.items[0].documents[0].reference = f"12345{character}"
    exporter_party = data.party(PartyRole.EXPORTER)
    assert exporter_party is not None
    exporter_party.city = f"New{character}York"
    assert found(data) == [
        ("text_characters", "parties.exporter.city", "42A/57A/04A CityName"),
        ("text_characters", "items.1.description", "67A/68A[1]/23A Description"),
        ("text_characters", "items.1.documents.1.reference", "67A/68A[1]/02A[1] ID"),
    ]


def test_character_message_says_where_and_what_to_do() -> None:
    data = build_import()
    data.items[0].description = "Parts for\nshavers"
    (issue,) = errors(data)
    assert issue.message == (
        "Goods item 1: the description of goods contains a line break, a tab or another character a "
        "customs declaration cannot carry; remove it."
    )


def test_text_of_only_spaces_is_refused() -> None:
    data = build_import()
    data.items[0].description = "   "
    data.goods_location = " "
    assert found(data) == [
        ("text_blank", "goods_location", "67A/28A/64A Name"),
        ("text_blank", "items.1.description", "67A/68A[1]/23A Description"),
    ]


def test_text_with_spaces_inside_or_non_latin_letters_is_accepted() -> None:
    data = build_import()
    data.items[0].description = "Pièces détachées pour rasoirs  électriques — 電動シェーバー部品"
    data.items[0].package_marks = "BX 1–50 “fragile”"
    assert errors(data) == []


# --- numbers -----------------------------------------------------------------------------------


BEYOND_DIGITS = [
    pytest.param(
        header(exchange_rate=Decimal("1.123456")),
        ("too_many_decimals", "exchange_rate", "42A/40A[1] RateNumeric"),
        id="exchange-rate-six-places",
    ),
    pytest.param(
        header(exchange_rate=Decimal("12345678.12345")),
        ("too_many_digits", "exchange_rate", "42A/40A[1] RateNumeric"),
        id="exchange-rate-thirteen-digits",
    ),
    pytest.param(
        header(exchange_rate=Decimal("1234567890.1")),
        ("value_too_large", "exchange_rate", "42A/40A[1] RateNumeric"),
        id="exchange-rate-beyond-the-column",
    ),
    pytest.param(
        header(total_package_quantity=100000000),
        ("value_too_large", "total_package_quantity", "42A TotalPackageQuantity"),
        id="total-packages-nine-digits",
    ),
    pytest.param(
        item(package_count=100000000),  # the total then differs: a warning only
        ("value_too_large", "items.1.package_count", "67A/68A[1]/93A[1] QuantityQuantity"),
        id="package-count-nine-digits",
    ),
    pytest.param(
        header_document(line=100000),
        ("value_too_large", "documents.1.line", "67A/99A[1] LineNumeric"),
        id="previous-document-line-six-digits",
    ),
]


@pytest.mark.parametrize(("change", "expected"), BEYOND_DIGITS)
def test_number_one_step_beyond_the_schemas_digits_is_refused(
    change: Callable[[DeclarationData], None], expected: tuple[str, str, str]
) -> None:
    data = build_import()
    change(data)
    assert found(data) == [expected]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("exchange_rate", Decimal("9999999.99999")),  # five places, twelve digits
        ("exchange_rate", Decimal("999999999.999")),  # the column's nine whole digits, twelve in all
        ("exchange_rate", Decimal("1.500000")),  # trailing zeros are no decimal places
        ("total_package_quantity", 99999999),
    ],
)
def test_number_at_the_schemas_digits_is_accepted(name: str, value: Decimal | int) -> None:
    data = build_import()
    setattr(data, name, value)
    assert [i for i in errors(data) if i.field == name] == []


def test_number_beyond_the_schema_says_a_declaration_cannot_carry_it_and_the_largest_it_can() -> None:
    data = build_import()
    data.items[0].package_count = 100000000
    data.total_package_quantity = None
    (issue,) = errors(data)
    assert issue.message == (
        "Goods item 1: the number of packages is larger than a customs declaration allows; declare at "
        "most 99999999."
    )


def test_too_many_digits_message_counts_them_and_states_the_limit() -> None:
    data = build_import()
    data.exchange_rate = Decimal("12345678.12345")
    (issue,) = errors(data)
    assert issue.message == (
        "The declaration: the exchange rate 12345678.12345 has 13 digits; a customs declaration allows at "
        "most 12, so round it."
    )


def test_item_document_line_beyond_five_digits_is_refused_too() -> None:
    data = build_import()
    data.items[0].documents.append(DocumentData(kind=DocumentKind.PREVIOUS, code="Z355", line=100000))
    assert found(data) == [("value_too_large", "items.1.documents.2.line", "67A/68A[1]/99A[1] LineNumeric")]


def test_party_of_any_role_is_checked() -> None:
    data = build_import()
    data.parties.append(PartyData(role=PartyRole.SELLER, name="S" * 71, country="US"))
    assert found(data) == [("text_too_long", "parties.seller.name", "67A/09B Name")]


def test_goods_item_fields_are_checked_on_every_item() -> None:
    data = build_import(items=2)
    data.items[1].description = "D" * 513
    assert found(data) == [("text_too_long", "items.2.description", "67A/68A[2]/23A Description")]


# --- through the API, as a JSON sender meets them -------------------------------------------------


def post_json(user, payload: dict[str, typing.Any]):
    client = APIClient()
    client.force_authenticate(user)
    return client.post("/api/v1/declarations", payload, format="json")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"exchange_rate": "0.851234"},  # the column keeps six places, the schema five
            ("too_many_decimals", "exchange_rate", "42A/40A[1] RateNumeric"),
            id="exchange-rate",
        ),
        pytest.param(
            {"total_package_quantity": 123456789},
            ("value_too_large", "total_package_quantity", "42A TotalPackageQuantity"),
            id="total-packages",
        ),
        pytest.param(
            {"items": [{**import_payload()["items"][0], "description": "Parts\u0001for shavers"}]},
            ("text_characters", "items.1.description", "67A/68A[1]/23A Description"),
            id="control-character",  # the writer could not write it at all
        ),
        pytest.param(
            {"delivery_terms": "CI"},
            ("text_format", "delivery_terms", "67A/22B ConditionCode"),
            id="incoterm",
        ),
    ],
)
def test_json_declaration_the_schema_could_not_carry_is_refused_and_not_stored(
    importer, changes: dict[str, typing.Any], expected: tuple[str, str, str]
) -> None:
    payload = import_payload(**changes)
    if "items" in changes:
        payload["goods_item_quantity"] = len(payload["items"])
        payload["total_package_quantity"] = None

    response = post_json(importer, payload)

    assert response.status_code == 400, response.content
    assert [(e["code"], e.get("field"), e["pointer"]) for e in response.json()["errors"]] == [expected]
    assert not Declaration.objects.exists()


def test_json_quantity_unit_longer_than_the_schema_takes_is_refused_with_the_catalogue_limit(
    importer,
) -> None:
    # The column holds ten characters, TariffQuantity/@unitCode five: the tighter one is the limit
    # of every channel (the XML schema refuses a sixth character too), named by its label.
    payload = import_payload(
        items=[{**import_payload()["items"][0], "quantity": "2", "quantity_unit": "KGMNAR"}]
    )

    response = post_json(importer, payload)

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {
            "pointer": "items.1.quantity_unit",
            "field": "items.1.quantity_unit",
            "code": "max_length",
            "message": "The unit of the quantity has more than 5 characters; shorten it.",
        }
    ]
    assert not Declaration.objects.exists()


def test_an_empty_additional_commodity_code_is_refused_not_lost_on_download() -> None:
    from declarations.validation import validate

    data = build_import()
    data.items[0].taric_codes = ["1234", ""]
    (issue,) = [i for i in validate(data, unregistered_parties_are_errors=False) if i.code == "text_blank"]
    assert issue.field == "items.1.taric_codes.2"
    assert issue.message == (
        "Goods item 1: the additional commodity code 2 is empty; fill it in or leave it out."
    )
