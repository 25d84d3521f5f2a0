"""Read a nomenclature file and store it as an edition, all or nothing.

Accepted formats (chosen by the file's extension):

- ``.csv``: a header row naming a ``code`` column (``commodity_code`` and
  ``goods_nomenclature_item_id`` are read as ``code`` too) and optionally ``description`` (or
  ``name``); one code per row.
- ``.json``: a list of objects with ``code`` and optionally ``description`` or ``name`` (the
  shape of, for example, the combined nomenclature files of github.com/xterr/php-cncodes).

Codes may carry spaces or dots (``0101 21 00``, ``0101.21.00``); what remains must be 8 or 10
digits. Every faulty row is reported (the first 20, then a count) and nothing is stored.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from singlewindow.audit import audit_log

from .models import NomenclatureCode, NomenclatureEdition

CODE_COLUMNS = ("code", "commodity_code", "goods_nomenclature_item_id")
DESCRIPTION_COLUMNS = ("description", "name")
SEPARATORS = re.compile(r"[ .]")
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_REPORTED = 20


class NomenclatureFileError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Row:
    where: str
    code: str
    description: str


def _rows_from_csv(text: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text))
    fieldnames = [name.strip().lower() for name in reader.fieldnames or []]
    code_column = next((c for c in CODE_COLUMNS if c in fieldnames), None)
    if code_column is None:
        raise NomenclatureFileError([_("The CSV header has no code column (code, commodity_code).")])
    description_column = next((c for c in DESCRIPTION_COLUMNS if c in fieldnames), None)
    rows = []
    for line, raw in enumerate(reader, start=2):
        record = {str(k).strip().lower(): (v or "") for k, v in raw.items() if k is not None}
        rows.append(
            Row(
                where=_("line %(line)s") % {"line": line},
                code=record.get(code_column, ""),
                description=record.get(description_column, "") if description_column else "",
            )
        )
    return rows


def _rows_from_json(text: str) -> list[Row]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NomenclatureFileError([_("The file is not valid JSON: %(error)s") % {"error": exc}]) from exc
    if not isinstance(data, list):
        raise NomenclatureFileError([_("The JSON file must be a list of objects with a code.")])
    rows = []
    for position, entry in enumerate(data, start=1):
        where = _("entry %(position)s") % {"position": position}
        if not isinstance(entry, dict):
            rows.append(Row(where=where, code="", description=""))
            continue
        description = next((entry[c] for c in DESCRIPTION_COLUMNS if isinstance(entry.get(c), str)), "")
        rows.append(Row(where=where, code=str(entry.get("code") or ""), description=description))
    return rows


def read_file(path: Path) -> list[tuple[str, str]]:
    """The (code, description) pairs of a nomenclature file, or ``NomenclatureFileError``."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise NomenclatureFileError(
            [_("The file is larger than %(max)s MB.") % {"max": MAX_FILE_BYTES // 2**20}]
        )
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NomenclatureFileError(
            [_("The file is not UTF-8 text (byte %(position)s).") % {"position": exc.start}]
        ) from exc
    try:
        rows = _rows_from_json(text) if path.suffix.lower() == ".json" else _rows_from_csv(text)
    except csv.Error as exc:
        raise NomenclatureFileError([_("The CSV file cannot be read: %(error)s") % {"error": exc}]) from exc
    problems: list[str] = []
    seen: dict[str, str] = {}
    codes: list[tuple[str, str]] = []
    for row in rows:
        code = SEPARATORS.sub("", row.code.strip())
        if not code.isdigit() or len(code) not in (8, 10):
            problems.append(
                _("%(where)s: %(code)s is not a commodity code of 8 or 10 digits.")
                % {"where": row.where, "code": row.code or "—"}
            )
        elif code in seen:
            problems.append(
                _("%(where)s: %(code)s is listed twice (first at %(first)s).")
                % {"where": row.where, "code": code, "first": seen[code]}
            )
        else:
            seen[code] = row.where
            codes.append((code, row.description.strip()))
    if not codes and not problems:
        problems.append(_("The file holds no commodity code."))
    if problems:
        shown = problems[:MAX_REPORTED]
        if len(problems) > MAX_REPORTED:
            shown.append(_("… and %(count)s more problems.") % {"count": len(problems) - MAX_REPORTED})
        raise NomenclatureFileError(shown)
    return codes


@transaction.atomic
def edition_load(
    *,
    name: str,
    valid_from: date,
    valid_to: date | None,
    codes: list[tuple[str, str]],
    source: str = "",
    loaded_by: str = "",
    replace: bool = False,
) -> NomenclatureEdition:
    """Store ``codes`` as the edition ``name`` (replacing an edition of that name if ``replace``)."""
    if valid_to is not None and valid_to < valid_from:
        raise NomenclatureFileError([_("The edition ends before it starts.")])
    existing = NomenclatureEdition.objects.select_for_update().filter(name=name).first()
    if existing is not None:
        if not replace:
            raise NomenclatureFileError(
                [
                    _("An edition named %(name)s is already loaded; pass --replace to replace it.")
                    % {"name": name}
                ]
            )
        existing.delete()
    edition = NomenclatureEdition.objects.create(
        name=name,
        valid_from=valid_from,
        valid_to=valid_to,
        digits=max(len(code) for code, _description in codes),
        code_count=len(codes),
        source=source,
        loaded_by=loaded_by,
    )
    NomenclatureCode.objects.bulk_create(
        (
            NomenclatureCode(edition=edition, code=code, cn8=code[:8], description=text)
            for code, text in codes
        ),
        batch_size=2000,
    )
    audit_log(
        action="nomenclature.edition.loaded",
        obj=edition,
        data={
            "edition": name,
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None,
            "codes": len(codes),
            "replaced": existing is not None,
            "source": source,
        },
    )
    return edition
