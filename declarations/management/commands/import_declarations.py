from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from declarations.models import Channel
from declarations.services import declaration_lodge_xml
from singlewindow.errors import DomainError


class Command(BaseCommand):
    help = (
        "Lodge WCO DM XML declarations as a user. Prints one JSON line per file; exits 0 only when all "
        "were accepted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--as", dest="username", required=True, help="lodge as this user")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"no active user {options['username']!r}") from None
        rejected = 0
        for path in options["files"]:
            line: dict[str, Any] = {"file": str(path), "status": "accepted", "mrn": None, "errors": []}
            try:
                result = declaration_lodge_xml(user=user, body=path.read_bytes(), channel=Channel.BULK)
            except DomainError as exc:
                line.update(status="rejected", errors=exc.errors)
            except OSError as exc:
                line.update(
                    status="rejected", errors=[{"pointer": "", "code": "unreadable", "message": str(exc)}]
                )
            else:
                line.update(
                    mrn=result.declaration.mrn,
                    lrn=result.declaration.lrn,
                    replayed=not result.created,
                    warnings=[w.as_dict() for w in result.warnings],
                )
            rejected += line["status"] == "rejected"
            self.stdout.write(json.dumps(line))
        if rejected:
            raise SystemExit(1)
