"""National tariff nomenclature: loaded by administrators by edition, checked at the date of acceptance."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from declarations.canonical import DeclarationData
from declarations.validation import _nomenclature_issues, validate
from nomenclature import lookup
from nomenclature.loader import NomenclatureFileError, edition_load, read_file
from nomenclature.models import NomenclatureCode, NomenclatureEdition
from singlewindow.models import AuditEvent
from tests.declarations.rules.builders import build_import, import_item

pytestmark = pytest.mark.django_db

DAY_2025 = date(2025, 6, 1)
DAY_2026 = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _fresh_editions() -> Iterator[None]:
    # Editions are cached per process; a rolled-back test sends no delete signal.
    lookup.editions_reset()
    yield
    lookup.editions_reset()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, name: str, codes: list[str], valid_from: date, valid_to: date | None) -> None:
    path = write(tmp_path, f"{name}.csv", "code,description\n" + "".join(f"{c},goods {c}\n" for c in codes))
    args = [str(path), "--edition", name, "--valid-from", valid_from.isoformat()]
    if valid_to:
        args += ["--valid-to", valid_to.isoformat()]
    call_command("load_nomenclature", *args)


def declaration(*codes: str) -> DeclarationData:
    data = build_import(items=len(codes))
    data.items = [import_item(n, commodity_code=code) for n, code in enumerate(codes, start=1)]
    return data


def found(data: DeclarationData, day: date) -> list[tuple[str, str, str]]:
    return [
        (i.code, i.field, i.severity)
        for i in validate(data, unregistered_parties_are_errors=False, on=day)
        if i.code.startswith(("commodity_code", "nomenclature"))
    ]


# --- loading ---------------------------------------------------------------------------------


def test_csv_codes_may_be_spaced_or_dotted_and_the_description_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "code,description\n8510 90 00,Parts\n8510.10.00.10,Shavers\n")
    assert read_file(path) == [("85109000", "Parts"), ("8510100010", "Shavers")]


def test_json_list_with_code_and_name_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path, "cn.json", json.dumps([{"code": "01012100", "name": "Pure-bred breeding animals"}])
    )
    assert read_file(path) == [("01012100", "Pure-bred breeding animals")]


def test_faulty_rows_are_all_reported_with_their_line_and_nothing_is_stored(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", "code\n851090\n85109000\n85109000\nABCDEFGH\n")
    with pytest.raises(NomenclatureFileError) as raised:
        read_file(path)
    assert raised.value.problems == [
        "line 2: 851090 is not a commodity code of 8 or 10 digits.",
        "line 4: 85109000 is listed twice (first at line 3).",
        "line 5: ABCDEFGH is not a commodity code of 8 or 10 digits.",
    ]
    with pytest.raises(CommandError):
        call_command("load_nomenclature", str(path), "--edition", "X", "--valid-from", "2026-01-01")
    assert not NomenclatureEdition.objects.exists()


def test_csv_without_a_code_column_and_an_empty_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(NomenclatureFileError, match="no code column"):
        read_file(write(tmp_path, "a.csv", "commodity\n85109000\n"))
    with pytest.raises(NomenclatureFileError, match="no commodity code"):
        read_file(write(tmp_path, "b.csv", "code\n"))


def test_a_file_that_is_not_utf8_or_not_csv_is_refused_with_a_reason(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("code,description\n85109000,Mat\xe9\n".encode("latin-1"))
    with pytest.raises(NomenclatureFileError, match="not UTF-8"):
        read_file(latin)
    huge_field = write(tmp_path, "huge.csv", "code,description\n85109000," + "x" * 200_000 + "\n")
    with pytest.raises(NomenclatureFileError, match="cannot be read"):
        read_file(huge_field)


def test_load_stores_the_edition_with_its_dates_and_audits_it(tmp_path: Path) -> None:
    load(tmp_path, "UK tariff 2026", ["8510900000", "8510100010"], date(2026, 1, 1), date(2026, 12, 31))
    edition = NomenclatureEdition.objects.get()
    assert (edition.name, edition.valid_from, edition.valid_to, edition.digits, edition.code_count) == (
        "UK tariff 2026",
        date(2026, 1, 1),
        date(2026, 12, 31),
        10,
        2,
    )
    assert set(NomenclatureCode.objects.values_list("code", "cn8")) == {
        ("8510900000", "85109000"),
        ("8510100010", "85101000"),
    }
    event = AuditEvent.objects.get(action="nomenclature.edition.loaded")
    assert event.data["codes"] == 2 and event.data["replaced"] is False


def test_an_edition_of_the_same_name_is_replaced_only_when_asked(tmp_path: Path) -> None:
    load(tmp_path, "CN 2026", ["85109000"], date(2026, 1, 1), None)
    with pytest.raises(CommandError, match="already loaded"):
        load(tmp_path, "CN 2026", ["85101000"], date(2026, 1, 1), None)
    path = write(tmp_path, "n.csv", "code\n85101000\n")
    call_command(
        "load_nomenclature", str(path), "--edition", "CN 2026", "--valid-from", "2026-01-01", "--replace"
    )
    assert list(NomenclatureCode.objects.values_list("code", flat=True)) == ["85101000"]


def test_an_edition_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(NomenclatureFileError, match="ends before it starts"):
        edition_load(
            name="X", valid_from=date(2026, 2, 1), valid_to=date(2026, 1, 1), codes=[("85109000", "")]
        )


# --- which edition is in force ---------------------------------------------------------------


def test_edition_in_force_follows_its_validity_dates_inclusive(tmp_path: Path) -> None:
    load(tmp_path, "2025", ["85109000"], date(2025, 1, 1), date(2025, 12, 31))
    load(tmp_path, "2026", ["85109000"], date(2026, 1, 1), None)
    assert lookup.edition_in_force(date(2024, 12, 31)) is None
    assert lookup.edition_in_force(date(2025, 1, 1)).name == "2025"
    assert lookup.edition_in_force(date(2025, 12, 31)).name == "2025"
    assert lookup.edition_in_force(date(2026, 1, 1)).name == "2026"
    assert lookup.edition_in_force(date(2030, 1, 1)).name == "2026"


def test_of_overlapping_editions_the_one_that_took_effect_last_applies(tmp_path: Path) -> None:
    load(tmp_path, "annual", ["85109000"], date(2026, 1, 1), date(2026, 12, 31))
    load(tmp_path, "mid-year", ["85109000"], date(2026, 7, 1), date(2026, 12, 31))
    assert lookup.edition_in_force(date(2026, 6, 30)).name == "annual"
    assert lookup.edition_in_force(date(2026, 7, 1)).name == "mid-year"


# --- checking declarations -------------------------------------------------------------------


def test_without_any_edition_national_digits_are_not_checked(tmp_path: Path) -> None:
    assert found(declaration("8510900099"), DAY_2026) == []


def test_code_of_the_edition_in_force_is_accepted_and_another_refused_naming_code_and_edition(
    tmp_path: Path,
) -> None:
    load(tmp_path, "UK tariff 2026", ["8510900000"], date(2026, 1, 1), None)
    assert found(declaration("8510900000", "85109000"), DAY_2026) == []
    data = declaration("8510900000", "8510900099")
    assert found(data, DAY_2026) == [
        ("commodity_code_not_in_nomenclature", "items.2.commodity_code", "error")
    ]
    (issue,) = [
        i for i in validate(data, unregistered_parties_are_errors=False, on=DAY_2026) if i.severity == "error"
    ]
    assert "8510900099" in issue.message and "UK tariff 2026" in issue.message
    assert issue.pointer == "67A/68A[2]/23A/21A[1] ID"


def test_eight_digit_code_must_begin_a_code_of_a_ten_digit_edition(tmp_path: Path) -> None:
    load(tmp_path, "UK tariff 2026", ["8510900000"], date(2026, 1, 1), None)
    assert found(declaration("85101000"), DAY_2026) == [
        ("commodity_code_not_in_nomenclature", "items.1.commodity_code", "error")
    ]


def test_ten_digit_code_is_checked_on_its_first_eight_against_an_eight_digit_edition(tmp_path: Path) -> None:
    load(tmp_path, "CN 2026", ["85109000"], date(2026, 1, 1), None)
    assert found(declaration("8510900011"), DAY_2026) == []
    assert found(declaration("8510100011"), DAY_2026) == [
        ("commodity_code_not_in_nomenclature", "items.1.commodity_code", "error")
    ]


def test_codes_are_checked_against_the_edition_in_force_on_the_day_of_acceptance(tmp_path: Path) -> None:
    load(tmp_path, "2025", ["85109000"], date(2025, 1, 1), date(2025, 12, 31))
    load(tmp_path, "2026", ["85101000"], date(2026, 1, 1), None)
    data = declaration("85109000")
    assert found(data, DAY_2025) == []
    assert found(data, DAY_2026) == [
        ("commodity_code_not_in_nomenclature", "items.1.commodity_code", "error")
    ]


def test_a_day_no_loaded_edition_covers_is_a_warning_not_a_refusal(tmp_path: Path) -> None:
    load(tmp_path, "2025", ["85109000"], date(2025, 1, 1), date(2025, 12, 31))
    assert found(declaration("8510100011"), DAY_2026) == [
        ("nomenclature_not_in_force", "items.1.commodity_code", "warning")
    ]


def test_six_digit_codes_are_left_to_the_hs_rule(tmp_path: Path) -> None:
    load(tmp_path, "2026", ["85101000"], date(2026, 1, 1), None)
    assert found(declaration("851090"), DAY_2026) == []


def test_checking_costs_one_query_however_many_items(tmp_path: Path) -> None:
    load(tmp_path, "2026", ["85109000"], date(2026, 1, 1), None)
    lookup.edition_in_force(DAY_2026)  # editions cached, as in a running process
    with CaptureQueriesContext(connection) as one:
        _nomenclature_issues(declaration("85109000"), DAY_2026)
    with CaptureQueriesContext(connection) as nine:
        _nomenclature_issues(declaration(*["85109000"] * 9), DAY_2026)
    assert len(one.captured_queries) == len(nine.captured_queries) == 1
