"""The rules against real declarations: HMRC accepted these, and rejected the TT1 variants.

Every accepted sample must pass with no errors (warnings allowed), and each rejected TT1 variant,
which differs from its accepted twin in one field, must fail on that field for the reason HMRC's
notification gives.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from declarations.canonical import DeclarationData
from declarations.rules import check_declaration

from .builders import codes

reader = pytest.importorskip("declarations.wco.reader")

DATA = Path(settings.SHARED_DATA_DIR) / "wco-dms"
SAMPLES = DATA / "samples"
TT1 = DATA / "hmrc-tt1"

ACCEPTED = [
    *sorted((SAMPLES / "imports").glob("*.xml")),
    *sorted((SAMPLES / "exports").glob("*.xml")),
    *sorted(TT1.glob("*/Accepted/Declaration/*.xml")),
]

# (folder of the rejected variant, HMRC's validation code, our code, our field)
REJECTED = [
    ("Imports/Rejected/Format_Rejection", "DMS10020", "item_sequence_range", "items.1.sequence"),
    ("Imports/Rejected/Obligation_Rejection", "DMS10001", "net_mass_missing", "items.1.net_mass"),
    ("Imports/Rejected/Ref_Data_Rejection", "DMS12050", "procedure_code_unknown", "items.1.procedure_code"),
    ("Exports/Rejected/Rejected_Format", "DMS10010", "lrn_too_long", "lrn"),
    ("Exports/Rejected/Rejected_Obligation", "DMS10001", "exit_office_missing", "exit_office"),
    ("Exports/Rejected/Rejected_Ref_Data", "DMS10020", "exit_office_unknown", "exit_office"),
]


def _read(path: Path) -> DeclarationData:
    result = reader.read_declaration(path.read_bytes())
    assert result.data is not None, [i.message for i in result.issues]
    return result.data


def test_all_accepted_samples_are_found() -> None:
    assert len(ACCEPTED) == 44


@pytest.mark.parametrize("path", ACCEPTED, ids=lambda p: p.stem)
def test_accepted_hmrc_declaration_has_no_rule_errors(path: Path) -> None:
    errors = [(i.code, i.field, i.message) for i in check_declaration(_read(path)) if i.severity == "error"]
    assert errors == []


@pytest.mark.parametrize(("folder", "hmrc_code", "code", "field"), REJECTED, ids=[r[0] for r in REJECTED])
def test_rejected_tt1_variant_fails_for_hmrc_reason(
    folder: str, hmrc_code: str, code: str, field: str
) -> None:
    (notification,) = (TT1 / folder / "Example_Notification").glob("*.xml")
    assert re.search(rf"ValidationCode>{hmrc_code}<", notification.read_text(encoding="utf-8-sig"))
    (declaration,) = (TT1 / folder / "Declaration").glob("*.xml")
    assert codes(check_declaration(_read(declaration)), "error") == [(code, field)]


@pytest.mark.parametrize("name", ["TT_IM079a__TT_IM079a.xml", "TT_IM124a__Step1_TT_IM124a.xml"])
def test_samples_declaring_970200_get_the_hs_edition_change_warning(name: str) -> None:
    issues = check_declaration(_read(SAMPLES / "imports" / name))
    assert codes(issues) == [("hs_edition_change", "items.1.commodity_code")]
    assert issues[0].severity == "warning"
    assert "970210" in issues[0].message and "970290" in issues[0].message
