"""Document codes (DE 2/3) and additional procedure codes (DE 1/11) against the reference data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command

from declarations import refdata
from declarations.canonical import DeclarationData, DocumentData, DocumentKind, Issue
from declarations.models import ReferenceCode, ReferenceCodeList
from declarations.rules import check_declaration
from declarations.validation import validate

pytestmark = pytest.mark.django_db

CODE_LISTS = Path(settings.SHARED_DATA_DIR) / "code-lists"


@pytest.fixture(autouse=True)
def _no_cached_overrides() -> Iterator[None]:
    # The override cache lives for the process; a rolled-back test sends no delete signal.
    refdata.overrides_reset()
    yield
    refdata.overrides_reset()


def errors(data: DeclarationData) -> list[Issue]:
    return [i for i in validate(data, unregistered_parties_are_errors=False) if i.severity == "error"]


def warnings(data: DeclarationData) -> list[Issue]:
    """The code-list warnings (unregistered parties are warnings here too, and not the point)."""
    return [
        i
        for i in validate(data, unregistered_parties_are_errors=False)
        if i.severity == "warning" and i.code.endswith("_code_unknown")
    ]


@pytest.fixture
def strict(settings) -> None:
    """As an administration that has loaded its full code lists."""
    settings.SW_STRICT_DOCUMENT_CODES = True


def found(data: DeclarationData) -> list[tuple[str, str, str]]:
    return [(i.code, i.field, i.pointer) for i in errors(data)]


# --- document codes --------------------------------------------------------------------------


def test_unlisted_document_code_is_a_warning_with_pointer_while_the_list_is_partial(
    valid_import: DeclarationData,
) -> None:
    valid_import.items[0].documents[0].code = "N999"
    assert errors(valid_import) == []
    assert [(i.code, i.pointer) for i in warnings(valid_import)] == [
        ("document_code_unknown", "67A/68A[1]/02A[1] TypeCode")
    ]


@pytest.mark.usefixtures("strict")
def test_unknown_item_document_code_is_rejected_with_pointer(valid_import: DeclarationData) -> None:
    valid_import.items[0].documents[0].code = "N999"
    (issue,) = errors(valid_import)
    assert (issue.code, issue.field, issue.pointer) == (
        "document_code_unknown",
        "items.1.documents.1.code",
        "67A/68A[1]/02A[1] TypeCode",
    )
    assert issue.message == (
        "Goods item 1: document 1 has code N999, which is not in the list of document codes; check the "
        "code (for example N935)."
    )


@pytest.mark.usefixtures("strict")
def test_unknown_header_document_code_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.documents.append(DocumentData(kind=DocumentKind.ADDITIONAL, code="1ZZZ", reference="1"))
    assert found(valid_import) == [("document_code_unknown", "documents.2.code", "42A/02A[1] TypeCode")]


def test_deferment_account_at_header_level_is_accepted(valid_import: DeclarationData) -> None:
    valid_import.documents.append(DocumentData(kind=DocumentKind.ADDITIONAL, code="1DAN", reference="1"))
    assert errors(valid_import) == []


def test_previous_document_types_are_not_checked_against_the_document_codes(
    valid_import: DeclarationData,
) -> None:
    # DE 2/1 is a category and a document type (ZDCR, Z355), not a DE 2/3 code.
    assert valid_import.documents[0].kind is DocumentKind.PREVIOUS
    valid_import.documents[0].code = "ZMRN"
    assert errors(valid_import) == []


def test_malformed_document_code_gets_the_format_error_only(valid_import: DeclarationData) -> None:
    valid_import.items[0].documents[0].code = "N9"
    assert [i.code for i in errors(valid_import)] == ["document_code_format"]


def test_document_codes_are_hmrc_list_and_every_accepted_sample_code() -> None:
    hmrc = json.loads(
        (CODE_LISTS / "additionalDocumentCodes" / "additionalDocumentCodes.json").read_text("utf-8-sig")
    )
    assert all(refdata.document_code(row["parentCode"]) for row in hmrc)
    # Codes HMRC's list lacks but its accepted samples declare (TT_IM001a, TT_EX004a, TT_IM006a).
    assert all(refdata.document_code(code) for code in ("N935", "C506", "X002", "Y100", "1DAN"))
    assert refdata.document_code("N999") is None


# --- additional procedure codes --------------------------------------------------------------


def test_unlisted_additional_procedure_code_is_an_error_on_exports_and_imports(
    valid_import: DeclarationData, valid_export: DeclarationData
) -> None:
    # The import list is complete now (CDS Appendix 2 as transcribed), so imports are refused too.
    valid_export.items[0].additional_procedure_codes = ["ZZZ"]
    assert [i.code for i in errors(valid_export)] == ["additional_procedure_code_unknown"]
    valid_import.items[0].additional_procedure_codes = ["000", "ZZZ"]
    assert [i.code for i in errors(valid_import)] == ["additional_procedure_code_unknown"]


@pytest.mark.usefixtures("strict")
def test_unknown_additional_procedure_code_is_rejected_with_pointer(valid_import: DeclarationData) -> None:
    valid_import.items[0].additional_procedure_codes = ["000", "ZZZ"]
    (issue,) = errors(valid_import)
    assert (issue.code, issue.field, issue.pointer) == (
        "additional_procedure_code_unknown",
        "items.1.additional_procedure_codes.2",
        "67A/68A[1]/70A[3] CurrentCode",
    )
    assert issue.message == (
        "Goods item 1: additional procedure code ZZZ is not in the list of additional procedure codes; "
        "check the code (declare 000 when no other applies)."
    )


def test_additional_procedure_codes_are_hmrc_list_and_every_accepted_sample_code() -> None:
    hmrc = json.loads(
        (CODE_LISTS / "procedureCodes" / "additionalProcedureCodes.json").read_text("utf-8-sig")
    )
    assert all(refdata.additional_procedure_code(row["code"]) == row["en"].strip() for row in hmrc)
    # Import codes HMRC's (export) list lacks, from accepted samples (TT_IM079a, TT_IM080a, TT_IM059a).
    assert all(refdata.additional_procedure_code(code) for code in ("1H7", "C07", "F15"))
    assert refdata.additional_procedure_code("ZZZ") is None


# --- administrators' overrides ---------------------------------------------------------------


@pytest.mark.usefixtures("strict")
def test_administrator_adds_a_document_code_and_withdraws_an_additional_procedure_code(
    valid_import: DeclarationData,
) -> None:
    valid_import.items[0].documents[0].code = "N999"
    assert [i.code for i in errors(valid_import)] == ["document_code_unknown"]

    ReferenceCode.objects.create(code_list=ReferenceCodeList.DOCUMENT, code="N999", description="Pilot")
    ReferenceCode.objects.create(
        code_list=ReferenceCodeList.ADDITIONAL_PROCEDURE, code="000", is_active=False
    )

    assert [(i.code, i.field) for i in errors(valid_import)] == [
        ("additional_procedure_code_unknown", "items.1.additional_procedure_codes.1")
    ]


@pytest.mark.parametrize(
    ("code_list", "code"),
    [(ReferenceCodeList.DOCUMENT, "N93"), (ReferenceCodeList.ADDITIONAL_PROCEDURE, "00A1")],
)
def test_override_code_must_look_like_a_code_of_its_list(code_list: str, code: str) -> None:
    with pytest.raises(ValidationError) as raised:
        ReferenceCode(code_list=code_list, code=code, description="x").full_clean()
    assert "code" in raised.value.message_dict


# --- the real samples ------------------------------------------------------------------------


def test_validate_declarations_finds_every_accepted_hmrc_sample_valid(capsys) -> None:
    samples = Path(settings.SHARED_DATA_DIR) / "wco-dms"
    paths = [
        *sorted((samples / "samples" / "imports").glob("*.xml")),
        *sorted((samples / "samples" / "exports").glob("*.xml")),
        *sorted((samples / "hmrc-tt1").glob("*/Accepted/Declaration/*.xml")),
    ]
    assert len(paths) == 29 + 13 + 2
    call_command("validate_declarations", *map(str, paths))  # exits 1 if any is invalid
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["file"], r["errors"]) for r in reports if r["status"] != "valid"] == []
    assert len(reports) == len(paths)


# --- the complete DE 1/10 and DE 1/11 lists ---------------------------------------------------


def rule_errors(data: DeclarationData) -> list[Issue]:
    return [i for i in check_declaration(data) if i.severity == "error"]


def rule_warnings(data: DeclarationData) -> list[Issue]:
    return [i for i in check_declaration(data) if i.severity == "warning"]


@pytest.mark.parametrize(
    "code",
    # CDS Appendix 1 imports (free circulation, excise warehouse, onward supply, end-use, IP, TA,
    # re-import, customs warehousing), HMRC's exports, export clearance requests, accepted samples.
    [
        "4000",
        "4071",
        "0700",
        "4200",
        "4400",
        "5100",
        "5300",
        "6123",
        "7100",
        "7178",
        "1040",
        "3171",
        "0012",
        "0019",
    ],
)
def test_procedure_code_is_in_the_complete_list(code: str) -> None:
    assert refdata.procedure_code_name(code)


def test_every_listed_procedure_code_has_listed_halves_and_allows_only_listed_additional_codes() -> None:
    shipped = refdata.procedure_codes()
    parts = refdata.procedure_code_parts()
    assert len([c for c in shipped if len(c) == 4]) >= 90
    for code in (c for c in shipped if len(c) == 4):
        assert {code[:2], code[2:]} <= parts, code
        for additional in refdata.additional_codes_allowed_with(code) or ():
            assert refdata.additional_procedure_code(additional), (code, additional)


def test_listed_procedure_code_passes_and_an_unlisted_pair_of_real_procedures_is_a_warning(
    valid_import: DeclarationData,
) -> None:
    valid_import.items[0].procedure_code = "4010"  # both halves exist; the pair is not in Appendix 1
    assert rule_errors(valid_import) == []
    (warning,) = rule_warnings(valid_import)
    assert (warning.code, warning.field) == ("procedure_code_unlisted", "items.1.procedure_code")
    assert "4010" in warning.message


@pytest.mark.parametrize("code", ["C07", "F15", "D12", "1H7", "97F", "19Z", "13C", "3HG", "1CS", "B51"])
def test_import_export_and_clearance_additional_procedure_codes_are_listed(code: str) -> None:
    assert refdata.additional_procedure_code(code)


def test_additional_code_outside_those_its_procedure_allows_is_a_warning(
    valid_import: DeclarationData,
) -> None:
    valid_import.items[0].procedure_code = "5300"  # temporary admission: D-codes and F15 only
    valid_import.items[0].additional_procedure_codes = ["000"]
    assert rule_errors(valid_import) == []
    (warning,) = rule_warnings(valid_import)
    assert (warning.code, warning.field) == (
        "additional_procedure_code_not_allowed",
        "items.1.additional_procedure_codes.1",
    )
    assert "5300" in warning.message and "D01" in warning.message


def test_procedure_without_a_listed_set_allows_any_listed_additional_code(
    valid_import: DeclarationData,
) -> None:
    assert refdata.additional_codes_allowed_with("4000") is None
    valid_import.items[0].additional_procedure_codes = ["C07", "1RV"]
    assert check_declaration(valid_import) == []


@pytest.mark.parametrize("code", sorted(c for c in refdata.procedure_codes() if len(c) == 4))
def test_every_listed_procedure_code_is_accepted_without_a_procedure_issue(
    code: str, valid_import: DeclarationData
) -> None:
    # 19 of them (previous procedures 54, 78, the export clearance codes 0012-0019, requested 01)
    # were refused before the lists were completed.
    item = valid_import.items[0]
    item.procedure_code = code
    allowed = refdata.additional_codes_allowed_with(code)
    item.additional_procedure_codes = [sorted(allowed)[0]] if allowed else ["000"]
    assert [
        i.code for i in check_declaration(valid_import) if i.code.startswith(("procedure", "additional"))
    ] == []
