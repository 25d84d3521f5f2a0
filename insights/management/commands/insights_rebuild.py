"""Rewrite the Time Release Study's facts and daily histograms from the clearance records."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from insights.services import facts_rebuild


class Command(BaseCommand):
    help = (
        "Rewrite the Time Release Study's facts (one per decided declaration, one per agency review) "
        "and their daily histograms, set-based and in batches. Idempotent: safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since", help="only declarations decided on or after this day (YYYY-MM-DD); default: all"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        since = None
        if options["since"]:
            try:
                since = date.fromisoformat(options["since"])
            except ValueError:
                raise CommandError("--since must be a date, YYYY-MM-DD.") from None
        result = facts_rebuild(since=since)
        self.stdout.write(
            f"{result.facts} declarations' facts written; {result.days} days of histograms refreshed."
        )
