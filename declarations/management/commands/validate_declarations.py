from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from declarations import validation
from declarations.wco.reader import read_declaration
from singlewindow.errors import DomainError


class Command(BaseCommand):
    help = (
        "Validate and map WCO DM XML declarations without storing anything. Prints one JSON object per "
        "file. Parties not registered in this portal are warnings, so messages can be tested before "
        "registering."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        invalid = 0
        for path in options["files"]:
            report = validate_file(path)
            invalid += report["status"] == "invalid"
            self.stdout.write(json.dumps(report))
        if invalid:
            raise SystemExit(1)


def validate_file(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = {
        "file": str(path),
        "status": "valid",
        "errors": [],
        "warnings": [],
        "summary": None,
    }
    try:
        body = path.read_bytes()
    except OSError as exc:
        report.update(status="invalid", errors=[{"pointer": "", "code": "unreadable", "message": str(exc)}])
        return report
    try:
        result = read_declaration(body)
    except DomainError as exc:
        report.update(status="invalid", errors=exc.errors)
        return report
    issues = list(result.issues)
    if result.data is not None:
        issues += validation.validate(result.data, unregistered_parties_are_errors=False)
        report["summary"] = result.data.summary()
    report["errors"] = [i.as_dict() for i in issues if i.severity == "error"]
    report["warnings"] = [i.as_dict() for i in issues if i.severity != "error"]
    if report["errors"] or result.data is None:
        report["status"] = "invalid"
    return report
