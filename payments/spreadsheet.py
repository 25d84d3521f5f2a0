"""CSV for spreadsheets: streamed, UTF-8 with a byte-order mark, amounts as plain decimals, and no
cell a spreadsheet would run as a formula (CSV injection)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.http import StreamingHttpResponse

# A cell a spreadsheet would read as a formula (CSV injection): =, +, -, @, and tab or carriage
# return, which some spreadsheets skip before looking for one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """A text cell that a spreadsheet shows as text: a leading apostrophe before a formula start.

    Only text is escaped: amounts are written by this module from Decimals (``-12.50`` is a number,
    and must stay one for the sums in the spreadsheet).
    """
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def csv_amount(value: Decimal) -> str:
    """A plain decimal: no grouping, a point, every minor-unit digit (``1234.50``, ``-3.00``)."""
    return f"{value:f}"


class _Echo:
    """A file-like object whose ``write`` returns the line, for ``csv.writer`` to stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[list[str]]) -> Iterator[bytes]:
    """UTF-8 lines of a CSV, the first prefixed with a byte-order mark (spreadsheets then read
    accents right)."""
    writer = csv.writer(_Echo())
    yield ("\ufeff" + writer.writerow(header)).encode()
    for row in rows:
        yield writer.writerow(row).encode()


def csv_response(filename: str, lines: Iterator[bytes]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
