from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nomenclature.loader import NomenclatureFileError, edition_load, read_file


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{text} is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = (
        "Load a national tariff nomenclature edition (8- and 10-digit commodity codes) from a CSV "
        "(code[,description]) or JSON (list of {code, description|name}) file, with the dates it is "
        "valid for. Declarations accepted on a date the edition covers must use its codes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--edition", required=True, help="A name for the edition, e.g. 'UK tariff 2026'.")
        parser.add_argument("--valid-from", required=True, type=_day)
        parser.add_argument("--valid-to", type=_day, default=None, help="Last day of validity (inclusive).")
        parser.add_argument("--source", default="", help="Where the file comes from.")
        parser.add_argument("--replace", action="store_true", help="Replace an edition of the same name.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            codes = read_file(options["file"])
            edition = edition_load(
                name=options["edition"],
                valid_from=options["valid_from"],
                valid_to=options["valid_to"],
                codes=codes,
                source=options["source"] or str(options["file"].name),
                loaded_by="manage.py load_nomenclature",
                replace=options["replace"],
            )
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        except NomenclatureFileError as exc:
            raise CommandError("\n".join(exc.problems)) from exc
        until = edition.valid_to.isoformat() if edition.valid_to else "further notice"
        self.stdout.write(
            f"Loaded {edition.code_count} codes ({edition.digits} digits) as {edition.name}, "
            f"valid {edition.valid_from.isoformat()} to {until}."
        )
