from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clearance.vendor_kit import examples_write


class Command(BaseCommand):
    help = (
        "Write the vendor test kit's example messages (made from the demo data with the portal's XML "
        "writer) and expected.json, the answer each should get, into DIRECTORY."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        for path in examples_write(options["directory"]):
            self.stdout.write(str(path))
