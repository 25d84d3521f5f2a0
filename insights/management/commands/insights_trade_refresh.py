"""Rewrite the monthly trade statistics of a range of months."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from insights.statistics import months_between, trade_monthly_refresh


class Command(BaseCommand):
    help = "Rewrite the trade statistics (TradeMonthly) from --since's month (default: 24 months) to now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="YYYY-MM-DD or YYYY-MM (month of acceptance)")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        since = options["since"]
        try:
            if since:
                first = date.fromisoformat(since if len(since) > 7 else f"{since}-01")
            else:
                first = date(today.year - 2, today.month, 1)
        except ValueError as error:
            raise CommandError("--since takes a month, YYYY-MM") from error
        rows = sum(trade_monthly_refresh(first=m, last=m) for m in months_between(first, today))
        self.stdout.write(f"{rows} rows of trade statistics from {first:%Y-%m} to {today:%Y-%m}.")
