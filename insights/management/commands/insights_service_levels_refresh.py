"""Rewrite the service-level figures (per agency and day) and the breaches of a range of days."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from insights.service_levels import service_level_refresh


class Command(BaseCommand):
    help = "Rewrite the service-level rows and breaches from --since (default: 90 days ago) to today."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="YYYY-MM-DD (local date of the decisions)")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        try:
            first = date.fromisoformat(options["since"]) if options["since"] else today - timedelta(days=89)
        except ValueError as error:
            raise CommandError("--since takes a date, YYYY-MM-DD") from error
        total, day = 0, first
        while day <= today:  # a month at a time: each transaction stays short
            last = min(day + timedelta(days=30), today)
            total += service_level_refresh(first=day, last=last)
            day = last + timedelta(days=1)
        self.stdout.write(f"{total} decided reviews counted from {first.isoformat()} to {today.isoformat()}.")
