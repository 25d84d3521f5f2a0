"""How many real declarations the portal accepts, per declaration category.

Reads every real HMRC declaration beside the project (``../shared/data/wco-dms``): the annotated
import and export trade-test samples and the accepted TT1 twins, all of which HMRC's system
accepted, and the TT1 variants it rejected for one reason each. Each is read and validated as a
lodgement would (nothing is stored; parties not registered here are warnings). Prints the share
accepted per category, and whether each rejected variant is refused for HMRC's reason. Exits 1 when
an accepted declaration is refused or a rejected variant is not refused for its reason.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from declarations import categories, validation
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


def check(path: Path, root: Path) -> Outcome:
    """Read and validate one message as a lodgement would, storing nothing."""
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
    issues = list(result.issues) + validation.validate(result.data, unregistered_parties_are_errors=False)
    category = categories.category_of(result.data) or "unknown"
    return Outcome(name, category, [(i.code, i.field) for i in issues if i.severity == "error"])


def report(root: Path) -> dict[str, Any]:
    accepted = [check(p, root) for pattern in ACCEPTED for p in sorted(root.glob(pattern))]
    by_category: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in accepted:
        by_category[outcome.category].append(outcome)
    order = [*categories.categories(), "unknown", "unread"]
    rows = [
        {
            "category": code,
            "accepted": sum(o.accepted for o in outcomes),
            "total": len(outcomes),
            "refused": [{"file": o.path, "errors": o.errors} for o in outcomes if not o.accepted],
        }
        for code in order
        if (outcomes := by_category.get(code))
    ]
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
            self.stdout.write(f"{'category':<10} {'accepted':>8} {'of':>4}  share")
            for row in result["categories"]:
                share = 100 * row["accepted"] / row["total"]
                self.stdout.write(
                    f"{row['category']:<10} {row['accepted']:>8} {row['total']:>4}  {share:5.1f}%"
                )
                for refused in row["refused"]:
                    self.stdout.write(f"    refused {refused['file']}: {refused['errors']}")
            total = result["total"]
            self.stdout.write(
                f"{'all':<10} {result['accepted']:>8} {total:>4}  {100 * result['accepted'] / total:5.1f}%"
            )
            self.stdout.write("rejected TT1 variants (each must be refused for HMRC's one reason):")
            for variant in result["rejected_variants"]:
                verdict = "ok" if variant["as_hmrc"] else "WRONG"
                self.stdout.write(
                    f"  {verdict:<5} {Path(variant['file']).stem} ({variant['category']}): expected "
                    f"{tuple(variant['expected'])}, got {[tuple(e) for e in variant['errors']]}"
                )
        failed = result["accepted"] != result["total"] or not all(
            v["as_hmrc"] for v in result["rejected_variants"]
        )
        if failed:
            raise SystemExit(1)
