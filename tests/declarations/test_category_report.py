"""The category report: every real declaration accepted per category, and each rejected variant
refused for HMRC's one reason."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from declarations.canonical import DeclarationData
from declarations.management.commands.category_report import minimal
from tests.declarations.rules.builders import build_import

pytestmark = pytest.mark.django_db


def test_report_accepts_every_real_declaration_and_its_minimal_variant_and_refuses_each_rejected_one() -> (
    None
):
    out = StringIO()
    call_command("category_report", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert (result["accepted"], result["total"], result["minimal_accepted"]) == (44, 44, 44)
    shares = {row["category"]: (row["accepted"], row["total"]) for row in result["categories"]}
    assert shares["H1"] == (15, 15) and shares["B1"] == (8, 8) and shares["H2"] == (1, 1)
    assert "unread" not in shares and "unknown" not in shares
    assert [v["as_hmrc"] for v in result["rejected_variants"]] == [True] * 6


def test_report_fails_when_a_rejected_variant_is_no_longer_refused(monkeypatch) -> None:
    from declarations.management.commands import category_report

    variant = next(iter(category_report.REJECTED))
    monkeypatch.setitem(category_report.REJECTED, variant, ("some_other_code", "lrn"))
    with pytest.raises(SystemExit) as exited:
        call_command("category_report", stdout=StringIO())
    assert exited.value.code == 1


def test_minimal_variant_drops_what_the_category_does_not_require() -> None:
    data: DeclarationData = build_import()
    data.items[0].procedure_code = "7100"  # H2: no net mass
    stripped = minimal(data)
    assert stripped.items[0].net_mass is None
    assert stripped.items[0].gross_mass == data.items[0].gross_mass
    assert data.items[0].net_mass is not None  # the original is untouched
