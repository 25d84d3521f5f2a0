"""The tariff: the demo file, the loader's all-or-nothing checks, the rules the admin shares, lookups."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from payments.models import ExchangeRate, FeeRule, TariffMeasure
from payments.models.tariff import TaxCategory
from payments.refdata.loader import COLUMNS, DEMO_TARIFF, TariffFileError, tariff_load
from payments.tariff import code_prefixes, measures_for, measures_in_force, rates_in_force
from singlewindow.models import AuditEvent

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)


def csv_of(*rows: str) -> str:
    return "\n".join(["# a comment line", HEADER, *rows]) + "\n"


def measure_row(
    code: str = "8510", rate: str = "2", valid_from: str = "2021-01-01", valid_to: str = "", **kw: str
) -> str:
    cells = dict.fromkeys(COLUMNS, "")
    cells.update(record="measure", code=code, tax_type="A00", kind="ad_valorem", rate_percent=rate)
    cells.update(valid_from=valid_from, valid_to=valid_to, **kw)
    return ",".join(cells[c] for c in COLUMNS)


def test_the_demo_tariff_loads_every_record_kind(uk_tariff):
    assert TariffMeasure.objects.filter(tax_type="A00", origin="").count() >= 20
    assert TariffMeasure.objects.filter(tax_type="B00").count() >= 96
    assert TariffMeasure.objects.filter(origin="EU", preference_code="300").exists()
    assert set(ExchangeRate.objects.values_list("currency", flat=True)) >= {"EUR", "USD"}
    assert FeeRule.objects.filter(agency__code="plant-health", basis="declaration").exists()
    assert AuditEvent.objects.filter(action="payments.tariff.loaded").count() == 1


def test_loading_the_same_file_again_changes_nothing(uk_tariff):
    before = list(TariffMeasure.objects.order_by("pk").values())
    summary = tariff_load(DEMO_TARIFF.read_text(encoding="utf-8"), source="again")
    assert sum(summary.created.values()) == sum(summary.updated.values()) == 0
    assert list(TariffMeasure.objects.order_by("pk").values()) == before
    assert AuditEvent.objects.filter(action="payments.tariff.loaded").count() == 1  # the first load


def test_a_changed_rate_updates_the_row_it_names(db):
    tariff_load(csv_of(measure_row(rate="2")), source="a")
    summary = tariff_load(csv_of(measure_row(rate="4")), source="b")
    assert summary.updated["measure"] == 1
    assert TariffMeasure.objects.get().rate_percent == Decimal("4")


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (measure_row(rate="two"), "line 3, column rate_percent: 'two' is not a number"),
        (measure_row(valid_from="2021-13-01"), "line 3, column valid_from: '2021-13-01' is not a date"),
        (
            measure_row(valid_to="2020-01-01"),
            "line 3, column valid_to: The last day of validity is before the first.",
        ),
        (measure_row(code="8"), "line 3, column code: A commodity code prefix is 2 to 10 digits"),
        (
            measure_row(kind="specific"),
            "line 3, column amount: A specific measure needs its amount per unit.",
        ),
        (measure_row(unit="XYZ"), "line 3, column unit: 'XYZ' is not one of"),
        (measure_row(record="tax"), "line 3, column record: 'tax' is not one of measure, exchange_rate, fee"),
        (measure_row(tax_type="B00"), "line 3, column vat_rate: Say whether this VAT rate"),
        (
            "fee,,,,,,,,10,GBP,,,nobody,declaration,2021-01-01,,,",
            "line 3, column agency: no agency has the code 'nobody'",
        ),
    ],
)
def test_a_bad_row_is_named_by_line_and_column_and_nothing_is_stored(db, row, problem):
    good = measure_row(code="9999")
    with pytest.raises(TariffFileError) as error:
        tariff_load(csv_of(row, good), source="bad")
    assert any(p.startswith(problem) for p in error.value.problems), error.value.problems
    assert not TariffMeasure.objects.exists()


def test_overlapping_measures_for_the_same_code_origin_and_tax_type_are_refused(db):
    text = csv_of(measure_row(valid_to="2025-12-31"), measure_row(rate="4", valid_from="2025-06-01"))
    with pytest.raises(TariffFileError) as error:
        tariff_load(text, source="overlap")
    assert error.value.problems == [
        "line 4, column row: This measure (8510, tax type A00, origin every origin) overlaps the one valid "
        "from 2021-01-01 to 2025-12-31: end that one first."
    ]


def test_consecutive_measures_and_other_origins_are_not_overlaps(db):
    tariff_load(
        csv_of(
            measure_row(valid_to="2025-12-31"),
            measure_row(rate="4", valid_from="2026-01-01"),
            measure_row(rate="0", origin="EU", preference="300", proof="U112"),
        ),
        source="ok",
    )
    assert TariffMeasure.objects.count() == 3


def test_an_unknown_column_is_refused_before_any_row(db):
    with pytest.raises(TariffFileError) as error:
        tariff_load("record,colour\nmeasure,red\n", source="x")
    assert error.value.problems[0].startswith("line 1, header: unknown column(s) colour")


def test_the_command_loads_a_file_and_reports_problems_with_lines(db, tmp_path, capsys):
    good = tmp_path / "tariff.csv"
    good.write_text(csv_of(measure_row()))
    call_command("load_tariff", str(good))
    assert "measure: 1 created" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_of(measure_row(code="85101000", rate="x")))
    with pytest.raises(
        CommandError, match=r"bad.csv was not loaded \(nothing stored\):\nline 3, column rate_percent"
    ):
        call_command("load_tariff", str(bad))


def test_the_admin_rules_refuse_an_overlap_with_a_clear_message(uk_tariff):
    clash = TariffMeasure(
        code_prefix="8510",
        tax_type="A00",
        kind="ad_valorem",
        rate_percent=Decimal("3"),
        valid_from=date(2026, 1, 1),
    )
    with pytest.raises(ValidationError, match="overlaps the one valid from 2021-01-01 to further notice"):
        clash.full_clean()


def test_exchange_rates_and_fees_refuse_overlaps_too(uk_tariff):
    with pytest.raises(ValidationError, match="This rate for USD overlaps"):
        ExchangeRate(currency="USD", rate=Decimal("1.3"), valid_from=date(2026, 12, 15)).full_clean()
    fee = FeeRule.objects.get(agency__code="plant-health")
    with pytest.raises(ValidationError, match="This fee of the agency overlaps"):
        FeeRule(agency=fee.agency, basis="declaration", amount=1, valid_from=date(2030, 1, 1)).full_clean()


def test_lookup_prefers_the_longest_prefix_and_respects_validity(uk_tariff):
    assert code_prefixes("85109000") == ["85109000", "8510900", "851090", "85109", "8510", "851", "85"]
    measures = measures_in_force(["22042195"], on=date(2022, 1, 1))
    excise = measures_for(measures, code="22042195", category=TaxCategory.EXCISE)
    assert [m.tax_type for m in excise] == ["413"]
    vat = measures_for(measures, code="22042195", category=TaxCategory.VAT)
    assert [m.code_prefix for m in vat] == ["22"]


def test_the_administrations_rate_is_the_one_of_the_day(uk_tariff):
    assert rates_in_force(["USD", "GBP"], on=date(2026, 11, 30))["USD"].rate == Decimal("1.318")
    assert rates_in_force(["USD"], on=date(2027, 3, 1))["USD"].rate == Decimal("1.34")
    assert rates_in_force(["USD"], on=date(2020, 1, 1)) == {}
