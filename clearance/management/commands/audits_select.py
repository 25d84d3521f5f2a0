"""Consider released declarations for post-clearance audit now (what the beat job does hourly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clearance.audits.selection import BATCH, audits_select


class Command(BaseCommand):
    help = "Select released declarations for post-clearance audit (criteria and the random share), once each."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit", type=int, default=BATCH, help="At most this many declarations a batch."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        considered = opened = 0
        while True:
            done = audits_select(limit=options["limit"])
            considered += done.considered
            opened += len(done.opened)
            if done.considered < options["limit"]:
                break
        self.stdout.write(f"{considered} released declarations considered, {opened} audits opened.")
