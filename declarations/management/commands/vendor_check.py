from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from declarations import checking
from singlewindow.parsers import json_depth


class Command(BaseCommand):
    help = (
        "Say for each file what POST /api/v1/declarations would answer if USER lodged it now, storing "
        "nothing (the checks of POST /api/v1/declarations/validate). A .json file is read as the "
        "canonical JSON declaration, anything else as WCO DM XML. Exit status 1 when any file would be "
        "refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--as", dest="username", required=True, help="check as this user would lodge")
        parser.add_argument("--json", action="store_true", help="one JSON object per file instead of text")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"no active user {options['username']!r}") from None
        refused = 0
        for path in options["files"]:
            result = check_file(path, user=user)
            refused += not result.valid
            if options["json"]:
                self.stdout.write(json.dumps({"file": str(path), **result.as_dict()}))
            else:
                self.stdout.write(describe(path, result))
        if refused:
            raise SystemExit(1)


def check_file(path: Path, *, user: User) -> checking.CheckResult:
    """The verdict on one file, read as the API would read its body."""
    try:
        body = path.read_bytes()
    except OSError as exc:
        return checking.refused([{"pointer": "", "code": "unreadable", "message": str(exc)}])
    if path.suffix.lower() != ".json":
        return checking.declaration_check_xml(body=body, user=user)
    if len(body) > settings.SW_MAX_JSON_BYTES:
        return checking.refused(
            [
                {
                    "pointer": "",
                    "code": "too_large",
                    "message": f"larger than {settings.SW_MAX_JSON_BYTES} bytes",
                }
            ],
            status=413,
        )
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        return checking.refused([{"pointer": "", "code": "not_json", "message": str(exc)[:200]}])
    if json_depth(payload) > settings.SW_MAX_JSON_DEPTH:
        return checking.refused([{"pointer": "", "code": "too_deep", "message": "nested too deeply"}])
    return checking.declaration_check_json(payload=payload, user=user)


def describe(path: Path, result: checking.CheckResult) -> str:
    """A few lines a person reads: the answer, then each error and warning with where it is."""
    if result.valid and result.lodgement_status == 201:
        head = f"{path}: {result.lodgement_status} accepted"
    elif result.valid:
        head = f"{path}: {result.lodgement_status} lodged before as {result.mrn} (returned again)"
    else:
        head = f"{path}: {result.lodgement_status} refused, {len(result.errors)} error(s)"
    if result.summary:
        head += f" (LRN {result.summary['lrn']}, {result.summary['items']} item(s))"
    lines = [head]
    lines += [f"  error   {e['code']:<32} {e['pointer'] or '-':<40} {e['message']}" for e in result.errors]
    lines += [f"  warning {w['code']:<32} {w['pointer'] or '-':<40} {w['message']}" for w in result.warnings]
    return "\n".join(lines)
