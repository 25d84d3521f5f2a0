"""Recompute the median declared values per unit that undervaluation rules compare with."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clearance.risk.medians import DEFAULT_MIN_SAMPLE, DEFAULT_MONTHS, medians_refresh


class Command(BaseCommand):
    help = "Recompute the medians of declared value per unit by HS subheading (clearance.risk.medians)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--min-sample", type=int, default=DEFAULT_MIN_SAMPLE)
        parser.add_argument("--months", type=int, default=DEFAULT_MONTHS)

    def handle(self, *args: Any, **options: Any) -> None:
        done = medians_refresh(min_sample=options["min_sample"], months=options["months"])
        self.stdout.write(f"{done.kept} medians kept ({done.removed} replaced).")
