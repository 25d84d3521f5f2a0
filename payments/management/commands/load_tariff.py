from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payments.refdata.loader import DEMO_TARIFF, TariffFileError, tariff_load


class Command(BaseCommand):
    help = (
        "Load tariff measures, exchange rates and agency fees from a CSV file (payments/refdata/"
        "uk_tariff_demo.csv describes the columns). All rows or none; loading the same file twice "
        "changes nothing. Without a file, the demo tariff."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, nargs="?", default=DEMO_TARIFF)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        try:
            summary = tariff_load(text, source=path.name)
        except TariffFileError as exc:
            raise CommandError(
                f"{path.name} was not loaded (nothing stored):\n" + "\n".join(exc.problems)
            ) from exc
        self.stdout.write(f"Loaded {path.name}: {summary}.")
