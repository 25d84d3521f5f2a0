from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from payments.statements import Period, StatementError, statements_generate


class Command(BaseCommand):
    help = (
        "Make every deferment account's statement of a month (default: last month). Safe to run again: "
        "a statement already made is not made twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM, e.g. 2026-11 (default: last month)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = (
                Period.parse(options["month"])
                if options["month"]
                else Period.containing(timezone.localdate()).previous
            )
            statements = statements_generate(period=period)
        except (ValueError, StatementError) as exc:
            raise CommandError(str(exc)) from exc
        for statement in statements:
            self.stdout.write(
                f"{statement.facility.reference} {period}: {len(statement.lines.all())} lines, "
                f"{statement.total} {statement.currency}, due {statement.due_on}, {statement.status}"
            )
        self.stdout.write(f"{len(statements)} statements for {period}")
