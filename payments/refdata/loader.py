"""Loading a tariff file: measures, exchange rates and agency fees from one CSV, all or nothing.

The file (see ``uk_tariff_demo.csv``) has a header row and one row per record; lines starting with
``#`` are comments. The ``record`` column says what a row is:

- ``measure``: code, origin, tax_type, preference, proof, kind, rate_percent, amount (specific,
  per unit), currency, unit, vat_rate, valid_from, valid_to, source, note;
- ``exchange_rate``: currency, amount (units of the currency for 1 GBP), valid_from, valid_to, source;
- ``fee``: agency (its code), basis (declaration | item), amount, currency, valid_from, valid_to, note.

A row is identified by its natural key (a measure by code, tax type, origin, preference and first
day; a rate by currency and first day; a fee by agency, basis and first day): loading the same
file again changes nothing. Every row is checked with the same rules as the admin (periods in order,
no overlap with another row of the same key); any problem names the line and the column, and then
nothing is stored (one transaction).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction

from agencies.models import Agency
from singlewindow.audit import audit_log

from ..models.tariff import (
    ADMINISTRATION_CURRENCY,
    ExchangeRate,
    FeeBasis,
    FeeRule,
    MeasureKind,
    TariffMeasure,
    Unit,
    VatRate,
)

DEMO_TARIFF = Path(__file__).resolve().parent / "uk_tariff_demo.csv"

COLUMNS = (
    "record",
    "code",
    "origin",
    "tax_type",
    "preference",
    "proof",
    "kind",
    "rate_percent",
    "amount",
    "currency",
    "unit",
    "vat_rate",
    "agency",
    "basis",
    "valid_from",
    "valid_to",
    "source",
    "note",
)
RECORDS = ("measure", "exchange_rate", "fee")

# Model field → the file's column, to name the column of a model's validation error.
_MEASURE_COLUMNS = {
    "code_prefix": "code",
    "preference_code": "preference",
    "proof_documents": "proof",
    "specific_amount": "amount",
    "specific_currency": "currency",
    "legal_note": "note",
}
_RATE_COLUMNS = {"rate": "amount"}
_FEE_COLUMNS = {"description": "note"}


class TariffFileError(Exception):
    """The file was not loaded; ``problems`` lists each, 'line N, column C: what'."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class LoadSummary:
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RECORDS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RECORDS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RECORDS, 0))

    def __str__(self) -> str:
        return "; ".join(
            f"{record}: {self.created[record]} created, {self.updated[record]} updated, "
            f"{self.unchanged[record]} unchanged"
            for record in RECORDS
        )


class _RowError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def _decimal(row: dict[str, str], column: str, *, required: bool = False) -> Decimal | None:
    text = row.get(column, "").strip()
    if not text:
        if required:
            raise _RowError(column, "a number is required")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _RowError(column, f"{text!r} is not a number (use a point: 12.5)") from None
    if not value.is_finite():
        raise _RowError(column, f"{text!r} is not a number")
    return value


def _day(row: dict[str, str], column: str, *, required: bool = False) -> date | None:
    text = row.get(column, "").strip()
    if not text:
        if required:
            raise _RowError(column, "a date is required (YYYY-MM-DD)")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _RowError(column, f"{text!r} is not a date (YYYY-MM-DD)") from None


def _choice(row: dict[str, str], column: str, choices: list[str], *, required: bool = False) -> str:
    text = row.get(column, "").strip()
    if not text and not required:
        return ""
    if text not in choices:
        raise _RowError(column, f"{text!r} is not one of {', '.join(choices)}")
    return text


def read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """The data rows with their line numbers in the file; a bad header is a problem of line 1."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for cells in reader:
        line = reader.line_num
        if not cells or not "".join(cells).strip() or cells[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [c.strip() for c in cells]
            unknown = [c for c in header if c not in COLUMNS]
            if unknown or "record" not in header:
                raise TariffFileError(
                    [
                        f"line {line}, header: unknown column(s) {', '.join(unknown) or '—'}; "
                        f"the columns are {', '.join(COLUMNS)} (record is required)"
                    ]
                )
            continue
        if len(cells) > len(header):
            raise TariffFileError([f"line {line}: {len(cells)} cells for {len(header)} columns"])
        rows.append((line, {name: value.strip() for name, value in zip(header, cells, strict=False)}))
    if header is None:
        raise TariffFileError(["line 1, header: the file is empty"])
    return rows


def _measure(row: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    key = {
        "code_prefix": row.get("code", ""),
        "tax_type": row.get("tax_type", ""),
        "origin": row.get("origin", ""),
        "preference_code": row.get("preference", ""),
        "valid_from": _day(row, "valid_from", required=True),
    }
    values = {
        "kind": _choice(row, "kind", list(MeasureKind.values), required=True),
        "rate_percent": _decimal(row, "rate_percent"),
        "specific_amount": _decimal(row, "amount"),
        "specific_currency": row.get("currency", "") or ADMINISTRATION_CURRENCY,
        "unit": _choice(row, "unit", list(Unit.values)),
        "vat_rate": _choice(row, "vat_rate", list(VatRate.values)),
        "proof_documents": " ".join(row.get("proof", "").split()),
        "valid_to": _day(row, "valid_to"),
        "source": row.get("source", "") or "UK Global Tariff",
        "legal_note": row.get("note", ""),
    }
    return key, values


def _rate(row: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    key = {"currency": row.get("currency", ""), "valid_from": _day(row, "valid_from", required=True)}
    values = {
        "rate": _decimal(row, "amount", required=True),
        "valid_to": _day(row, "valid_to"),
        "source": row.get("source", ""),
    }
    return key, values


def _fee(row: dict[str, str], agencies: dict[str, Agency]) -> tuple[dict[str, Any], dict[str, Any]]:
    code = row.get("agency", "")
    agency = agencies.get(code)
    if agency is None:
        raise _RowError("agency", f"no agency has the code {code!r}")
    key = {
        "agency": agency,
        "basis": _choice(row, "basis", list(FeeBasis.values), required=True),
        "valid_from": _day(row, "valid_from", required=True),
    }
    values = {
        "amount": _decimal(row, "amount", required=True),
        "currency": row.get("currency", "") or ADMINISTRATION_CURRENCY,
        "valid_to": _day(row, "valid_to"),
        "description": row.get("note", ""),
    }
    return key, values


def _problems_of(error: ValidationError, line: int, columns: dict[str, str]) -> list[str]:
    if not hasattr(error, "error_dict"):
        return [f"line {line}, column row: {message}" for message in error.messages]
    problems = []
    for name, messages in error.message_dict.items():
        column = "row" if name == NON_FIELD_ERRORS else columns.get(name, name)
        problems += [f"line {line}, column {column}: {message}" for message in messages]
    return problems


_KEYS = {
    "measure": ("code_prefix", "tax_type", "origin", "preference_code", "valid_from"),
    "exchange_rate": ("currency", "valid_from"),
    "fee": ("agency_id", "basis", "valid_from"),
}
_MODELS: dict[str, type[models.Model]] = {
    "measure": TariffMeasure,
    "exchange_rate": ExchangeRate,
    "fee": FeeRule,
}


def _key_of(record: str, obj: Any) -> tuple[Any, ...]:
    return tuple(getattr(obj, name) for name in _KEYS[record])


@transaction.atomic
def tariff_load(text: str, *, source: str, actor: Any = None) -> LoadSummary:
    """Load every row of a tariff file or none; raises ``TariffFileError`` listing every problem.

    Checks each row as the admin does (fields, rules, no overlap with a stored row or an earlier
    row of the file), in memory, then writes in bulk. Side effects: the rows created or updated,
    and one audit event ``payments.tariff.loaded`` when anything changed.
    """
    rows = read_rows(text)
    agencies = {a.code: a for a in Agency.objects.all()}
    stored: dict[str, dict[tuple[Any, ...], Any]] = {
        record: {_key_of(record, obj): obj for obj in model._default_manager.all()}
        for record, model in _MODELS.items()
    }
    groups: dict[tuple[str, tuple[Any, ...]], list[Any]] = {}
    for record, objects in stored.items():
        for obj in objects.values():
            groups.setdefault((record, obj.overlap_group()), []).append(obj)
    summary = LoadSummary()
    problems: list[str] = []
    to_create: dict[str, list[Any]] = {record: [] for record in RECORDS}
    to_update: dict[str, list[Any]] = {record: [] for record in RECORDS}
    for line, row in rows:
        record = row.get("record", "")
        try:
            if record == "measure":
                columns = _MEASURE_COLUMNS
                key, values = _measure(row)
            elif record == "exchange_rate":
                columns = _RATE_COLUMNS
                key, values = _rate(row)
            elif record == "fee":
                columns = _FEE_COLUMNS
                key, values = _fee(row, agencies)
            else:
                raise _RowError("record", f"{record!r} is not one of {', '.join(RECORDS)}")
        except _RowError as exc:
            problems.append(f"line {line}, column {exc.column}: {exc.message}")
            continue
        model = _MODELS[record]
        candidate = model(**key)
        obj = stored[record].get(_key_of(record, candidate))
        created = obj is None
        if obj is None:
            obj = model(**key, **values)
        elif all(getattr(obj, name) == value for name, value in values.items()):
            summary.unchanged[record] += 1
            continue
        else:
            for name, value in values.items():
                setattr(obj, name, value)
        try:
            # Fields and rules in memory (the agency was found above), then the overlap with the
            # stored rows and the file's earlier rows of the same group.
            obj.clean_fields(exclude=["agency"])
            obj.validate_rules()
            group = groups.setdefault((record, obj.overlap_group()), [])
            obj.refuse_overlap_with(group)
        except ValidationError as exc:
            problems += _problems_of(exc, line, columns)
            continue
        if created:
            group.append(obj)
            stored[record][_key_of(record, obj)] = obj
            to_create[record].append(obj)
        elif obj not in to_update[record]:
            to_update[record].append(obj)
        (summary.created if created else summary.updated)[record] += 1
    if problems:
        raise TariffFileError(problems)
    for record, model in _MODELS.items():
        model._default_manager.bulk_create(to_create[record])
        if to_update[record]:
            fields = [f for f in _VALUE_FIELDS[record]]
            model._default_manager.bulk_update(to_update[record], fields)
    if not any(summary.created.values()) and not any(summary.updated.values()):
        return summary  # nothing changed (the demo seeded again): nothing to audit
    audit_log(
        action="payments.tariff.loaded",
        obj=None,
        actor=actor,
        data={"source": source, "created": summary.created, "updated": summary.updated},
    )
    return summary


_VALUE_FIELDS = {
    "measure": [
        "kind",
        "rate_percent",
        "specific_amount",
        "specific_currency",
        "unit",
        "vat_rate",
        "proof_documents",
        "valid_to",
        "source",
        "legal_note",
    ],
    "exchange_rate": ["rate", "valid_to", "source"],
    "fee": ["amount", "currency", "valid_to", "description"],
}
