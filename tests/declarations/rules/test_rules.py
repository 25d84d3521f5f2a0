"""Each business rule, on a valid hand-built declaration broken in exactly one place."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from declarations.canonical import DeclarationData, DocumentData, DocumentKind, ItemData, PartyData, PartyRole
from declarations.rules import check_declaration

from .builders import build_import, codes


def test_valid_import_has_no_issues(valid_import: DeclarationData) -> None:
    assert check_declaration(valid_import) == []


def test_valid_export_has_no_issues(valid_export: DeclarationData) -> None:
    assert check_declaration(valid_export) == []


def test_every_issue_has_a_message_and_a_field(valid_import: DeclarationData) -> None:
    valid_import.lrn = ""
    valid_import.items[0].commodity_code = "999999"
    issues = check_declaration(valid_import)
    assert issues
    assert all(i.message and i.field and not i.pointer for i in issues)


# --- header ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_code", "expected"),
    [("", "type_code_missing"), ("XX", "type_code_unknown"), ("im", "type_code_unknown")],
)
def test_declaration_type_must_be_im_ex_or_co(
    valid_import: DeclarationData, type_code: str, expected: str
) -> None:
    valid_import.type_code = type_code
    assert (expected, "type_code") in codes(check_declaration(valid_import))


@pytest.mark.parametrize(
    ("additional", "expected"), [("", "additional_type_missing"), ("G", "additional_type_unknown")]
)
def test_additional_type_must_be_known(valid_import: DeclarationData, additional: str, expected: str) -> None:
    valid_import.additional_type = additional
    assert codes(check_declaration(valid_import)) == [(expected, "additional_type")]


def test_function_code_other_than_original_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.function_code = "13"
    assert codes(check_declaration(valid_import)) == [("function_code_invalid", "function_code")]


def test_missing_lrn_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.lrn = ""
    assert codes(check_declaration(valid_import)) == [("lrn_missing", "lrn")]


def test_lrn_of_25_characters_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.lrn = "Export_Format_REJ_LONGREF"
    issues = check_declaration(valid_import)
    assert codes(issues) == [("lrn_too_long", "lrn")]
    assert "25" in issues[0].message and "22" in issues[0].message


def test_lrn_of_22_characters_with_sample_separators_is_accepted(valid_import: DeclarationData) -> None:
    valid_import.lrn = "NIP488_TC2_v0.1_1201_5"
    assert check_declaration(valid_import) == []
    valid_import.lrn = "NEW-TT-SAMPLE-CUS 9"
    assert check_declaration(valid_import) == []


@pytest.mark.parametrize("lrn", ["LRN/1", " LRN1", "LRN1 ", "LRN<1>", "LRN  1"])
def test_lrn_with_disallowed_characters_is_rejected(valid_import: DeclarationData, lrn: str) -> None:
    valid_import.lrn = lrn
    assert codes(check_declaration(valid_import)) == [("lrn_format", "lrn")]


def test_declaration_without_goods_items_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items = []
    valid_import.goods_item_quantity = None
    assert codes(check_declaration(valid_import)) == [("goods_items_missing", "items")]


def test_declaration_with_1000_items_is_rejected() -> None:
    data = build_import(items=1000)
    data.items[-1].sequence = 999  # keep the sequence rules out of the way: only the count is at issue
    assert ("goods_items_too_many", "items") in codes(check_declaration(data))


def test_declared_item_count_must_match_items(valid_import: DeclarationData) -> None:
    valid_import.goods_item_quantity = 2
    assert codes(check_declaration(valid_import)) == [("goods_item_quantity_mismatch", "goods_item_quantity")]


def test_package_total_differing_from_items_is_a_warning(valid_import: DeclarationData) -> None:
    valid_import.total_package_quantity = 10
    issues = check_declaration(valid_import)
    assert codes(issues, "warning") == [("package_total_mismatch", "total_package_quantity")]
    assert codes(issues, "error") == []


def test_package_total_is_not_compared_when_an_item_has_no_package_count(
    valid_import: DeclarationData,
) -> None:
    valid_import.total_package_quantity = 10
    valid_import.items[0].package_count = None
    assert check_declaration(valid_import) == []


def test_invoice_amount_without_currency_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.invoice_currency = ""
    assert codes(check_declaration(valid_import)) == [("invoice_currency_missing", "invoice_currency")]


def test_unknown_invoice_currency_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.invoice_currency = "GBX"
    assert codes(check_declaration(valid_import)) == [("currency_unknown", "invoice_currency")]


def test_currency_hmrc_still_lists_but_iso_withdrew_is_accepted(valid_import: DeclarationData) -> None:
    valid_import.invoice_currency = "HRK"
    assert check_declaration(valid_import) == []


def test_export_without_destination_country_is_rejected(valid_export: DeclarationData) -> None:
    valid_export.destination_country = ""
    assert codes(check_declaration(valid_export)) == [("destination_country_missing", "destination_country")]


def test_import_without_destination_country_is_accepted(valid_import: DeclarationData) -> None:
    valid_import.destination_country = ""
    assert check_declaration(valid_import) == []


@pytest.mark.parametrize(
    "field",
    ["destination_country", "export_country", "border_transport_nationality", "goods_location_country"],
)
def test_unknown_header_country_is_rejected(valid_import: DeclarationData, field: str) -> None:
    setattr(valid_import, field, "QQ")
    assert codes(check_declaration(valid_import)) == [("country_unknown", field)]


@pytest.mark.parametrize("code", ["XK", "XC", "ZU"])
def test_hmrc_user_assigned_country_codes_are_accepted(valid_import: DeclarationData, code: str) -> None:
    valid_import.export_country = code
    assert check_declaration(valid_import) == []


def test_export_without_exit_office_is_rejected(valid_export: DeclarationData) -> None:
    valid_export.exit_office = ""
    assert codes(check_declaration(valid_export)) == [("exit_office_missing", "exit_office")]


def test_export_with_unknown_exit_office_is_rejected(valid_export: DeclarationData) -> None:
    valid_export.exit_office = "GB999999"
    issues = check_declaration(valid_export)
    assert codes(issues) == [("exit_office_unknown", "exit_office")]
    assert "GB999999" in issues[0].message


def test_special_fiscal_territory_declaration_needs_no_exit_office(valid_export: DeclarationData) -> None:
    valid_export.type_code = "CO"
    valid_export.exit_office = ""
    assert check_declaration(valid_export) == []


@pytest.mark.parametrize("field", ["supervising_office", "presentation_office"])
def test_unknown_customs_office_is_rejected(valid_import: DeclarationData, field: str) -> None:
    setattr(valid_import, field, "GBXXX001")
    assert codes(check_declaration(valid_import)) == [("customs_office_unknown", field)]


def test_header_document_code_must_be_four_characters(valid_import: DeclarationData) -> None:
    valid_import.documents.append(DocumentData(kind=DocumentKind.ADDITIONAL, code="N93"))
    assert codes(check_declaration(valid_import)) == [("document_code_format", "documents.2.code")]


def test_header_deferment_reference_without_code_is_accepted(valid_import: DeclarationData) -> None:
    valid_import.documents.append(
        DocumentData(kind=DocumentKind.ADDITIONAL, code="", reference="GBDPO7777777")
    )
    assert check_declaration(valid_import) == []


def test_item_document_without_code_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items[0].documents[0].code = ""
    assert codes(check_declaration(valid_import)) == [("document_code_format", "items.1.documents.1.code")]


# --- parties ---------------------------------------------------------------------------------


def test_declaration_without_declarant_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.parties = [p for p in valid_import.parties if p.role is not PartyRole.DECLARANT]
    assert codes(check_declaration(valid_import)) == [("declarant_missing", "parties.declarant.eori")]


def test_import_without_importer_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.parties = [p for p in valid_import.parties if p.role is not PartyRole.IMPORTER]
    assert codes(check_declaration(valid_import)) == [("importer_missing", "parties.importer.eori")]


def test_export_without_exporter_is_rejected(valid_export: DeclarationData) -> None:
    valid_export.parties = [p for p in valid_export.parties if p.role is not PartyRole.EXPORTER]
    assert codes(check_declaration(valid_export)) == [("exporter_missing", "parties.exporter.eori")]


def test_importer_by_name_and_address_is_accepted(valid_import: DeclarationData) -> None:
    importer = valid_import.party(PartyRole.IMPORTER)
    assert importer is not None
    importer.eori, importer.name, importer.street, importer.city, importer.country = (
        "",
        "Les McQueen",
        "1 Main Street",
        "New York",
        "US",
    )
    assert check_declaration(valid_import) == []


def test_importer_by_name_without_address_is_rejected(valid_import: DeclarationData) -> None:
    importer = valid_import.party(PartyRole.IMPORTER)
    assert importer is not None
    importer.eori, importer.name = "", "Les McQueen"
    assert codes(check_declaration(valid_import)) == [("party_address_incomplete", "parties.importer.street")]


def test_final_supplementary_declaration_needs_no_importer(valid_import: DeclarationData) -> None:
    valid_import.additional_type = "Q"
    valid_import.parties = [p for p in valid_import.parties if p.role is PartyRole.DECLARANT]
    assert check_declaration(valid_import) == []


@pytest.mark.parametrize(
    "eori", ["GB12345", "GB1234567890123", "XIABCDEFGHIJKL", "QQ123456", "gb553202734852", "GB"]
)
def test_malformed_eori_is_rejected(valid_import: DeclarationData, eori: str) -> None:
    declarant = valid_import.party(PartyRole.DECLARANT)
    assert declarant is not None
    declarant.eori = eori
    assert codes(check_declaration(valid_import)) == [("eori_format", "parties.declarant.eori")]


@pytest.mark.parametrize(
    "eori", ["XI553202734852", "GB553202734852000", "DE1234567890123", "FR12345678901234"]
)
def test_well_formed_eori_is_accepted(valid_import: DeclarationData, eori: str) -> None:
    declarant = valid_import.party(PartyRole.DECLARANT)
    assert declarant is not None
    declarant.eori = eori
    assert check_declaration(valid_import) == []


def test_unknown_party_address_country_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.parties.append(
        PartyData(role=PartyRole.CONSIGNOR, name="A", street="B", city="C", country="QQ")
    )
    assert codes(check_declaration(valid_import)) == [("country_unknown", "parties.consignor.country")]


# --- goods item numbers ------------------------------------------------------------------------


def test_item_sequence_above_999_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items[0].sequence = 1000
    issues = check_declaration(valid_import)
    assert codes(issues) == [("item_sequence_range", "items.1.sequence")]
    assert "1000" in issues[0].message


def test_item_sequence_zero_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items[0].sequence = 0
    assert codes(check_declaration(valid_import)) == [("item_sequence_range", "items.1.sequence")]


def test_missing_item_sequence_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items[0].sequence = None
    assert codes(check_declaration(valid_import)) == [("item_sequence_missing", "items.1.sequence")]


def test_duplicate_item_sequence_is_rejected() -> None:
    data = build_import(items=2)
    data.items[1].sequence = 1
    assert codes(check_declaration(data)) == [("item_sequence_duplicate", "items.2.sequence")]


def test_gap_in_item_sequence_is_rejected() -> None:
    data = build_import(items=3)
    data.items[2].sequence = 4
    assert codes(check_declaration(data)) == [("item_sequence_order", "items.3.sequence")]


def test_items_out_of_order_are_rejected() -> None:
    data = build_import(items=2)
    data.items[0].sequence, data.items[1].sequence = 2, 1
    assert codes(check_declaration(data)) == [("item_sequence_order", "items.1.sequence")]


# --- goods items -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("description", "", "description_missing"),
        ("commodity_code", "", "commodity_code_missing"),
        ("procedure_code", "", "procedure_code_missing"),
        ("gross_mass", None, "gross_mass_missing"),
        ("net_mass", None, "net_mass_missing"),
        ("origin_country", "", "origin_country_missing"),
    ],
)
def test_standard_import_item_must_carry(
    valid_import: DeclarationData, field: str, value: object, expected: str
) -> None:
    setattr(valid_import.items[0], field, value)
    assert codes(check_declaration(valid_import)) == [(expected, f"items.1.{field}")]


def test_item_without_price_or_statistical_value_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items[0].value_amount = None
    assert codes(check_declaration(valid_import)) == [("item_value_missing", "items.1.value_amount")]


def test_item_with_statistical_value_only_is_accepted(valid_import: DeclarationData) -> None:
    valid_import.items[0].value_amount = None
    valid_import.items[0].statistical_value = Decimal("1000")
    assert check_declaration(valid_import) == []


def test_item_price_without_any_currency_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.invoice_amount = None
    valid_import.invoice_currency = ""
    valid_import.items[0].value_currency = ""
    assert codes(check_declaration(valid_import)) == [("value_currency_missing", "items.1.value_currency")]


def test_item_price_in_the_invoice_currency_is_accepted(valid_import: DeclarationData) -> None:
    valid_import.items[0].value_currency = ""
    assert check_declaration(valid_import) == []


def test_unknown_item_currency_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items[0].value_currency = "XYZ"
    assert codes(check_declaration(valid_import)) == [("currency_unknown", "items.1.value_currency")]


def test_unknown_origin_country_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items[0].origin_country = "UK"
    assert codes(check_declaration(valid_import)) == [("country_unknown", "items.1.origin_country")]


def test_export_item_needs_no_origin(valid_export: DeclarationData) -> None:
    assert valid_export.items[0].origin_country == ""
    assert check_declaration(valid_export) == []


def test_net_mass_above_gross_mass_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items[0].net_mass = Decimal("151")
    issues = check_declaration(valid_import)
    assert codes(issues) == [("net_mass_exceeds_gross", "items.1.net_mass")]
    assert "151" in issues[0].message and "150" in issues[0].message


def test_net_mass_equal_to_gross_mass_is_accepted(valid_import: DeclarationData) -> None:
    valid_import.items[0].net_mass = Decimal("150")
    assert check_declaration(valid_import) == []


def test_negative_mass_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items[0].gross_mass = Decimal("-1")
    valid_import.items[0].net_mass = Decimal("-2")
    assert codes(check_declaration(valid_import)) == [
        ("mass_negative", "items.1.net_mass"),
        ("mass_negative", "items.1.gross_mass"),
    ]


def test_entry_into_customs_warehouse_needs_no_net_mass(valid_import: DeclarationData) -> None:
    valid_import.items[0].procedure_code = "7100"
    valid_import.items[0].net_mass = None
    assert check_declaration(valid_import) == []


def test_release_from_customs_warehouse_needs_net_mass(valid_import: DeclarationData) -> None:
    valid_import.items[0].procedure_code = "4071"
    valid_import.items[0].net_mass = None
    assert codes(check_declaration(valid_import)) == [("net_mass_missing", "items.1.net_mass")]


def test_reduced_data_set_item_needs_no_net_mass_origin_or_value(valid_import: DeclarationData) -> None:
    item = valid_import.items[0]
    item.additional_procedure_codes = ["1H7", "C08"]
    item.net_mass = item.value_amount = None
    item.origin_country = ""
    valid_import.invoice_amount = None
    assert check_declaration(valid_import) == []


@pytest.mark.parametrize("additional_type", ["C", "F", "J", "K", "Q"])
def test_simplified_declaration_item_needs_no_classification_masses_origin_or_value(
    valid_import: DeclarationData, additional_type: str
) -> None:
    valid_import.additional_type = additional_type
    item = valid_import.items[0]
    item.commodity_code = item.origin_country = ""
    item.net_mass = item.gross_mass = item.value_amount = None
    assert check_declaration(valid_import) == []


@pytest.mark.parametrize("additional_type", ["B", "E"])
def test_occasional_simplified_declaration_needs_the_commodity_code_and_net_mass_only(
    valid_import: DeclarationData, additional_type: str
) -> None:
    # I1 B&E: CDS wants the 8-digit commodity code on every declaration but clearance requests and
    # regular-use simplified ones (CDSSG08010), and lists net mass for I1 B&E without a condition.
    valid_import.additional_type = additional_type
    item = valid_import.items[0]
    item.commodity_code = item.origin_country = ""
    item.net_mass = item.gross_mass = item.value_amount = None
    issues = check_declaration(valid_import)
    assert codes(issues) == [
        ("commodity_code_missing", "items.1.commodity_code"),
        ("net_mass_missing", "items.1.net_mass"),
    ]
    assert all(issue.message.endswith("(Required for declaration category I1 B&E.)") for issue in issues)


def test_final_supplementary_declaration_item_needs_no_description(valid_import: DeclarationData) -> None:
    valid_import.additional_type = "Q"
    valid_import.items[0].description = ""
    assert check_declaration(valid_import) == []


def test_special_fiscal_territory_declaration_needs_no_masses(valid_export: DeclarationData) -> None:
    valid_export.type_code = "CO"
    valid_export.items[0].net_mass = valid_export.items[0].gross_mass = None
    assert check_declaration(valid_export) == []


def test_unknown_package_type_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items[0].package_type = "ZZZ"
    assert codes(check_declaration(valid_import)) == [("package_type_unknown", "items.1.package_type")]


def test_negative_package_count_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items[0].package_count = -1
    valid_import.total_package_quantity = None
    assert codes(check_declaration(valid_import)) == [("package_count_negative", "items.1.package_count")]


def test_item_document_code_must_be_four_characters(valid_import: DeclarationData) -> None:
    valid_import.items[0].documents.append(DocumentData(kind=DocumentKind.ADDITIONAL, code="C5O6-X"))
    assert codes(check_declaration(valid_import)) == [("document_code_format", "items.1.documents.2.code")]


# --- procedure codes ---------------------------------------------------------------------------


def test_requested_procedure_99_is_unknown(valid_import: DeclarationData) -> None:
    valid_import.items[0].procedure_code = "9971"
    issues = check_declaration(valid_import)
    assert codes(issues) == [("procedure_code_unknown", "items.1.procedure_code")]
    assert "9971" in issues[0].message and "99" in issues[0].message


def test_unknown_previous_procedure_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items[0].procedure_code = "4099"
    assert codes(check_declaration(valid_import)) == [("procedure_code_unknown", "items.1.procedure_code")]


@pytest.mark.parametrize("code", ["40", "400", "40000", "40A0"])
def test_procedure_code_must_be_four_digits(valid_import: DeclarationData, code: str) -> None:
    valid_import.items[0].procedure_code = code
    assert codes(check_declaration(valid_import)) == [("procedure_code_format", "items.1.procedure_code")]


@pytest.mark.parametrize("code", ["4000", "4071", "0090", "6123", "7122", "5300", "3171", "1040", "0014"])
def test_procedure_codes_used_by_accepted_declarations_are_accepted(
    valid_import: DeclarationData, code: str
) -> None:
    valid_import.items[0].procedure_code = code
    assert codes(check_declaration(valid_import), "error") == []


def test_additional_procedure_code_must_be_three_characters(valid_import: DeclarationData) -> None:
    valid_import.items[0].additional_procedure_codes = ["000", "1H"]
    assert codes(check_declaration(valid_import)) == [
        ("additional_procedure_code_format", "items.1.additional_procedure_codes.2")
    ]


# --- commodity codes ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["851090", "85109000", "8510900010"])
def test_commodity_code_of_6_8_or_10_digits_is_checked_on_its_subheading(
    valid_import: DeclarationData, code: str
) -> None:
    valid_import.items[0].commodity_code = code
    assert check_declaration(valid_import) == []


@pytest.mark.parametrize("code", ["8510", "851090000", "85109O00", "8510.90", "851090000000"])
def test_malformed_commodity_code_is_rejected(valid_import: DeclarationData, code: str) -> None:
    valid_import.items[0].commodity_code = code
    assert codes(check_declaration(valid_import)) == [("hs_format", "items.1.commodity_code")]


def test_unknown_subheading_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items[0].commodity_code = "99999900"
    issues = check_declaration(valid_import)
    assert codes(issues) == [("hs_unknown", "items.1.commodity_code")]
    assert "999999" in issues[0].message


def test_unknown_subheading_of_a_known_heading_names_the_heading(valid_import: DeclarationData) -> None:
    valid_import.items[0].commodity_code = "85109900"
    issues = check_declaration(valid_import)
    assert codes(issues) == [("hs_unknown", "items.1.commodity_code")]
    assert "8510" in issues[0].message and "Shavers" in issues[0].message


def test_subheading_split_by_hs_2022_is_a_warning_naming_its_successors(
    valid_import: DeclarationData,
) -> None:
    valid_import.items[0].commodity_code = "97020000"
    issues = check_declaration(valid_import)
    assert codes(issues, "warning") == [("hs_edition_change", "items.1.commodity_code")]
    assert codes(issues, "error") == []
    message = issues[0].message
    assert "97020000" in message and "970200" in message and "970210" in message and "970290" in message
    assert "HS 2022" in message


def test_issues_name_the_goods_item_they_are_about(item: Callable[..., ItemData]) -> None:
    data = build_import(items=2)
    data.items[1] = item(2, commodity_code="99999900")
    issues = check_declaration(data)
    assert codes(issues) == [("hs_unknown", "items.2.commodity_code")]
    assert issues[0].message.startswith("Goods item 2")


@pytest.mark.django_db
def test_rule_errors_past_the_first_100_are_counted_in_one_last_error(valid_import) -> None:
    from declarations.validation import validate

    from .builders import import_item

    valid_import.items = [import_item(n, origin_country="ZZ") for n in range(1, 301)]
    valid_import.goods_item_quantity = 300
    valid_import.invoice_amount = None
    issues = validate(valid_import, unregistered_parties_are_errors=False)
    listed = issues[: issues.index(next(i for i in issues if i.code == "too_many_errors"))]
    assert len(listed) == 100
    assert all(i.pointer for i in listed)
    assert sum(i.code == "country_unknown" for i in listed) >= 95
    last = next(i for i in issues if i.code == "too_many_errors")
    assert last.severity == "error"
    assert "more errors are not listed; only the first 100 are reported." in last.message


def test_a_goods_item_with_more_than_99_documents_is_refused_at_the_hundredth(valid_import) -> None:
    document = valid_import.items[0].documents[0]
    valid_import.items[0].documents = [document] * 99
    assert "too_many_documents" not in [code for code, _ in codes(check_declaration(valid_import))]
    valid_import.items[0].documents = [document] * 100
    (issue,) = [i for i in check_declaration(valid_import) if i.code == "too_many_documents"]
    assert issue.field == "items.1.documents.100"
    assert issue.message == "Goods item 1 has 100 documents; at most 99 are allowed."
