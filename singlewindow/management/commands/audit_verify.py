"""Recompute the audit log's hash chain: OK with the count and the head, or the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from singlewindow.auditchain import chain_verify


class Command(BaseCommand):
    help = (
        "Recompute the audit log's hash chain from the first event. Prints OK with the number of "
        "events and the head (seq, hash), or names the first event whose link is broken and exits 1."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args: Any, database: str, **options: Any) -> None:
        report = chain_verify(using=database)
        if not report.ok:
            raise CommandError(
                f"audit chain broken at event {report.broken_event}: {report.problem} "
                f"(the {report.count} events before it verify)"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: {report.count} audit events, chain head seq {report.head_seq} hash {report.head_hash}"
            )
        )
