"""validate_declarations and import_declarations: the command-line contracts."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from declarations.models import Declaration

from ..conftest import SAMPLES, TT1

IM001A = SAMPLES / "imports" / "TT_IM001a__Step1_TT_IM001a.xml"
EX001A = SAMPLES / "exports" / "TT_EX001a__TT_EX001a.xml"
MALFORMED = sorted((SAMPLES / "malformed").glob("*.xml"))
NETMASS_REJECTED = (
    TT1 / "Imports/Rejected/Obligation_Rejection/Declaration/TT1_IM_v2.02_Rejected_Obligation_Netmass.xml"
)


def run(capsys, *args: str) -> tuple[int, list[dict]]:
    code = 0
    try:
        call_command(*args)
    except SystemExit as exc:
        code = int(exc.code or 0)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    return code, lines


@pytest.mark.django_db
def test_validate_reports_valid_samples_with_summary_and_unregistered_parties_as_warnings(capsys):
    code, lines = run(capsys, "validate_declarations", str(IM001A), str(EX001A))
    assert code == 0
    assert [line["status"] for line in lines] == ["valid", "valid"]
    summary = lines[0]["summary"]
    assert summary["type"] == "IMA"
    assert summary["lrn"] == "7847767E1WB6"
    assert summary["items"] == 1
    assert summary["commodity_codes"] == ["85109000"]
    assert summary["totals"]["values"] == {"GBP": "1000"}
    # nobody is registered in an empty portal: that is a warning for software vendors, not an error
    assert {w["code"] for w in lines[0]["warnings"]} >= {"declarant_not_registered"}
    assert lines[0]["errors"] == []
    assert Declaration.objects.count() == 0


@pytest.mark.django_db
def test_validate_reports_each_malformed_file_invalid_with_a_message(capsys):
    code, lines = run(capsys, "validate_declarations", *map(str, MALFORMED))
    assert code == 1
    assert len(lines) == len(MALFORMED) == 3
    for line in lines:
        assert line["status"] == "invalid"
        assert line["errors"] and all(e["message"] for e in line["errors"])


@pytest.mark.django_db
def test_validate_points_at_the_missing_net_mass(capsys):
    code, lines = run(capsys, "validate_declarations", str(NETMASS_REJECTED))
    assert code == 1
    assert any("65A" in e["pointer"] for e in lines[0]["errors"])


@pytest.mark.django_db
def test_import_lodges_as_the_user_and_exits_zero_when_all_accepted(capsys, broker):
    code, lines = run(capsys, "import_declarations", str(IM001A), "--as", "broker")
    assert code == 0
    assert lines[0]["status"] == "accepted"
    assert Declaration.objects.get(mrn=lines[0]["mrn"]).lodged_by == broker


@pytest.mark.django_db
def test_import_exits_nonzero_and_stores_nothing_for_a_rejected_file(capsys, broker):
    code, lines = run(
        capsys, "import_declarations", str(NETMASS_REJECTED), str(MALFORMED[0]), "--as", "broker"
    )
    assert code == 1
    assert [line["status"] for line in lines] == ["rejected", "rejected"]
    assert all(line["mrn"] is None and line["errors"] for line in lines)
    assert Declaration.objects.count() == 0
