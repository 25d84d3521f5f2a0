"""How many real declarations the portal accepts, per declaration category.

Reads every real HMRC declaration beside the project (``../shared/data/wco-dms``): the annotated
import and export trade-test samples and the accepted TT1 twins, all of which HMRC's system
accepted, and the TT1 variants it rejected for one reason each. Each is read and validated as a
lodgement would (nothing is stored; parties not registered here are warnings). Prints the share
accepted per category, and whether each rejected variant is refused for HMRC's reason. Exits 1 when
an accepted declaration is refused or a rejected variant is not refused for its reason.

It also validates a *minimal variant* of each accepted declaration: the same declaration with every
data element its category does not require removed (``minimal``), which the completion rules allow
a trader to send; the share of those accepted is printed per category too.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from declarations import categories, validation
from declarations.canonical import DeclarationData
from declarations.wco.reader import read_declaration
from singlewindow.errors import DomainError

# The TT1 messages leave the tester's EORI as a placeholder; a tester puts its own in.
TT1_PLACEHOLDER = b"INSERTEORI"
TT1_TESTER_EORI = b"GB553202734852"

ACCEPTED = ("samples/imports/*.xml", "samples/exports/*.xml", "hmrc-tt1/*/Accepted/Declaration/*.xml")
# Each rejected TT1 variant, with the issue (code, field) that must refuse it: HMRC's reason.
_IM = "hmrc-tt1/Imports/Rejected"
_EX = "hmrc-tt1/Exports/Rejected"
REJECTED: dict[str, tuple[str, str]] = {
    f"{_IM}/Format_Rejection/Declaration/TT1_IM_v2.02_Rejected_Format.xml": (
        "item_sequence_range",
        "items.1.sequence",
    ),
    f"{_IM}/Obligation_Rejection/Declaration/TT1_IM_v2.02_Rejected_Obligation_Netmass.xml": (
        "net_mass_missing",
        "items.1.net_mass",
    ),
    f"{_IM}/Ref_Data_Rejection/Declaration/TT1_IM_v2.02_Rejected_RefData.xml": (
        "procedure_code_unknown",
        "items.1.procedure_code",
    ),
    f"{_EX}/Rejected_Format/Declaration/TT1_EX_v2.02_Rejected_Format.xml": ("lrn_too_long", "lrn"),
    f"{_EX}/Rejected_Obligation/Declaration/TT1_EX_v2.02_Rejected_Obligation_Exitoffice.xml": (
        "exit_office_missing",
        "exit_office",
    ),
    f"{_EX}/Rejected_Ref_Data/Declaration/TT1_EX_v2.02_Rejected_RefData.xml": (
        "exit_office_unknown",
        "exit_office",
    ),
}


@dataclass
class Outcome:
    path: str
    category: str
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.errors


def minimal(data: DeclarationData) -> DeclarationData:
    """``data`` without the data elements its category does not require (of those whose requirement
    depends on the category), as a trader following the completion rules to the letter may send it."""
    data = copy.deepcopy(data)

    def required(key: str, category: str | None) -> bool:
        return category is None or categories.required(key, category)

    for item in data.items:
        category = categories.category_of(data, item)
        if not required("items.net_mass", category):
            item.net_mass = None
        if not required("items.gross_mass", category):
            item.gross_mass = None
        if not required("items.origin_country", category):
            item.origin_country = ""
        if not required("items.value_amount", category):
            item.value_amount = item.statistical_value = None
        if not required("items.commodity_code", category):
            item.commodity_code, item.quantity = "", None  # a quantity counts the code's unit
        if not required("items.description", category):
            item.description = ""
    header = categories.category_of(data)
    if not required("exit_office", header):
        data.exit_office = ""
    if not required("destination_country", header):
        data.destination_country = ""
    return data


def check(path: Path, root: Path, *, stripped: bool = False) -> Outcome:
    """Read and validate one message as a lodgement would, storing nothing (``stripped``: its
    minimal variant instead)."""
    body = path.read_bytes().replace(TT1_PLACEHOLDER, TT1_TESTER_EORI)
    name = str(path.relative_to(root))
    try:
        result = read_declaration(body)
    except DomainError as exc:
        return Outcome(
            name, "unread", [(str(e.get("code", "")), str(e.get("pointer", ""))) for e in exc.errors]
        )
    if result.data is None:
        return Outcome(name, "unread", [(i.code, i.field) for i in result.issues if i.severity == "error"])
    data = minimal(result.data) if stripped else result.data
    issues = list(result.issues) + validation.validate(data, unregistered_parties_are_errors=False)
    category = categories.category_of(data) or "unknown"
    return Outcome(name, category, [(i.code, i.field) for i in issues if i.severity == "error"])


def _by_category(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    grouped: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        grouped[outcome.category].append(outcome)
    order = [*categories.categories(), "unknown", "unread"]
    return [
        {
            "category": code,
            "accepted": sum(o.accepted for o in group),
            "total": len(group),
            "refused": [{"file": o.path, "errors": o.errors} for o in group if not o.accepted],
        }
        for code in order
        if (group := grouped.get(code))
    ]


def report(root: Path) -> dict[str, Any]:
    paths = [p for pattern in ACCEPTED for p in sorted(root.glob(pattern))]
    rows = _by_category([check(p, root) for p in paths])
    minimal_rows = _by_category([check(p, root, stripped=True) for p in paths])
    rejected = []
    for relative, reason in REJECTED.items():
        outcome = check(root / relative, root)
        rejected.append(
            {
                "file": relative,
                "category": outcome.category,
                "expected": list(reason),
                "errors": [list(e) for e in outcome.errors],
                "as_hmrc": outcome.errors == [reason],
            }
        )
    return {
        "categories": rows,
        "accepted": sum(r["accepted"] for r in rows),
        "total": sum(r["total"] for r in rows),
        "minimal_variants": minimal_rows,
        "minimal_accepted": sum(r["accepted"] for r in minimal_rows),
        "rejected_variants": rejected,
    }


class Command(BaseCommand):
    help = (
        "Validate every real HMRC declaration in the shared data (nothing stored) and print the share "
        "the portal accepts per declaration category, and whether each rejected TT1 variant is refused "
        "for HMRC's reason."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", type=Path, default=Path(settings.SHARED_DATA_DIR) / "wco-dms")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = report(options["data"])
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=1))
        else:
            self._table("real declarations HMRC accepted", result["categories"])
            self._table(
                "their minimal variants (only what the category requires)", result["minimal_variants"]
            )
            self.stdout.write("rejected TT1 variants (each must be refused for HMRC's one reason):")
            for variant in result["rejected_variants"]:
                verdict = "ok" if variant["as_hmrc"] else "WRONG"
                self.stdout.write(
                    f"  {verdict:<5} {Path(variant['file']).stem} ({variant['category']}): expected "
                    f"{tuple(variant['expected'])}, got {[tuple(e) for e in variant['errors']]}"
                )
        failed = (
            result["accepted"] != result["total"]
            or result["minimal_accepted"] != result["total"]
            or not all(v["as_hmrc"] for v in result["rejected_variants"])
        )
        if failed:
            raise SystemExit(1)

    def _table(self, title: str, rows: list[dict[str, Any]]) -> None:
        self.stdout.write(title + ":")
        self.stdout.write(f"  {'category':<10} {'accepted':>8} {'of':>4}  share")
        for row in rows:
            share = 100 * row["accepted"] / row["total"]
            self.stdout.write(
                f"  {row['category']:<10} {row['accepted']:>8} {row['total']:>4}  {share:5.1f}%"
            )
            for refused in row["refused"]:
                self.stdout.write(f"      refused {refused['file']}: {refused['errors']}")
        accepted, total = sum(r["accepted"] for r in rows), sum(r["total"] for r in rows)
        self.stdout.write(f"  {'all':<10} {accepted:>8} {total:>4}  {100 * accepted / total:5.1f}%")
