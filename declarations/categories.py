"""Declaration categories and the data each one requires.

A customs declaration is not one data set: CDS (like the Union Customs Code it comes from) defines
a *declaration category* per kind of declaration, each with its own table of required data
elements. A release for free circulation (H1) needs masses, origin and value; an entry to a customs
warehouse (H2) no net mass; a low-value consignment (H7) a reduced set; a simplified declaration
(I1, C1) or a customs clearance request (C21i, C21e) far less. The portal derives the category of
each goods item from the declaration type (DE 1/1), the additional declaration type (DE 1/2), the
requested procedure (the first half of DE 1/10) and, for H7, the additional procedure code 1H7
(DE 1/11), and the rules check what that category requires (``requirement``), not one set for all.

The facts (which data element each category requires) are data, not code:
``refdata/data_requirements.json``, each row naming its sources. This module reads them and
answers two questions: the category of a declaration or goods item (``category_of``), and what a
category requires of a field (``requirement``, ``categories_requiring``).

Derivation (CDS Appendix 21 and 23; the procedures per import category from HMRC's Online Trade
Tariff, see the data file's ``ott-cpc-categories`` source):

- DE 1/2 ``Q``: the final supplementary declaration (FSD).
- Which side: ``IM`` is an import, ``EX`` an export. ``CO`` (trade with special fiscal
  territories) is a dispatch when the requested procedure is an export one (10, 11, 21, 22, 23,
  31; for a clearance request with requested procedure 00, when the previous one is an export
  clearance code 12 to 19) and an arrival otherwise.
- DE 1/2 ``J``/``K``: customs clearance requests (C21i, C21e).
- DE 1/2 ``B``/``E``: simplified declarations on an occasional basis (I1 B&E, C1 B&E); ``C``/``F``
  with regular use (I1 C&F, C1 C&F).
- Standard (``A``/``D``) and supplementary (``X``/``Y``/``Z``) declarations carry the data set of
  their procedure: imports H7 when 1H7 is declared, H5 for a ``CO`` arrival released for free
  circulation, H2 for customs warehousing (71), H3 for temporary admission (53), H4 for inward
  processing (51), H1 otherwise (free circulation, end-use, re-importation: 01, 07, 40, 42, 44, 61);
  exports B4 for a ``CO`` dispatch, B2 for outward processing (21, 22), B3 for customs warehousing
  of Union goods (76, 77), B1 otherwise (export and re-export).

Not derived: H6 (postal traffic) and I2/C2 (presentation under entry in the declarant's records),
which CDS tells apart by channel rather than by these data elements; they fall under H1/B1.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .canonical import DeclarationData, ItemData

Symbol = Literal["A", "C", "D", "NR"]
REQUIRED: Symbol = "A"
SYMBOLS = frozenset({"A", "C", "D", "NR"})

DATA_FILE = Path(__file__).resolve().parent / "refdata" / "data_requirements.json"

FINAL_SUPPLEMENTARY = "Q"
CLEARANCE_REQUEST = frozenset("JK")
SIMPLIFIED_OCCASIONAL = frozenset("BE")
SIMPLIFIED_REGULAR = frozenset("CF")
# Requested procedures (first two digits of DE 1/10) that take goods out: export (10), prior export
# under inward processing (11), outward processing (21, 22), temporary export (23), re-export (31),
# Union goods entering a customs warehouse for export (76, 77).
EXPORT_REQUESTED = frozenset({"10", "11", "21", "22", "23", "31", "76", "77"})
# Clearance requests declare requested procedure 00; their previous procedure tells the side:
# 12 to 19 are the export clearance request codes (0012 ... 0019).
EXPORT_CLEARANCE_PREVIOUS = frozenset({"12", "14", "15", "16", "17", "18", "19"})
LOW_VALUE_REDUCED_DATA_SET = "1H7"


@dataclass(frozen=True)
class Category:
    code: str  # "H1", "I1 C&F", "C21e" ...
    direction: Literal["import", "export"]
    label: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class FieldRequirement:
    """One data element: its DE number, what each category requires of it, and why."""

    field: str  # canonical path without positions: "items.net_mass", "exit_office", "parties.trader"
    de: str
    label: str
    requirements: dict[str, Symbol]
    sources: tuple[str, ...]


@functools.cache
def _data() -> dict[str, object]:
    with DATA_FILE.open(encoding="utf-8") as f:
        data = json.load(f)
    assert isinstance(data, dict)
    return data


@functools.cache
def categories() -> dict[str, Category]:
    """Every category the portal derives, by code, in the data file's order."""
    raw = _data()["categories"]
    assert isinstance(raw, dict)
    return {
        code: Category(
            code=code, direction=entry["direction"], label=entry["label"], sources=tuple(entry["sources"])
        )
        for code, entry in raw.items()
    }


@functools.cache
def fields() -> dict[str, FieldRequirement]:
    """The data elements whose requirement differs by category, by canonical field name."""
    raw = _data()["fields"]
    assert isinstance(raw, dict)
    return {
        name: FieldRequirement(
            field=name,
            de=entry["de"],
            label=entry["label"],
            requirements=dict(entry["requirements"]),
            sources=tuple(entry["sources"]),
        )
        for name, entry in raw.items()
    }


@functools.cache
def sources() -> dict[str, str]:
    raw = _data()["sources"]
    assert isinstance(raw, dict)
    return {str(k): str(v) for k, v in raw.items()}


def requirement(field: str, category: str) -> Symbol:
    """What ``category`` requires of ``field`` (``"A"`` required, ``"D"``, ``"C"``, ``"NR"``)."""
    return fields()[field].requirements[category]


def required(field: str, category: str | None) -> bool:
    """Whether ``field`` must be present in a declaration (or goods item) of ``category``.

    Without a category (the declaration type is missing or unknown, and that is reported on its
    own) nothing more is demanded.
    """
    return category is not None and requirement(field, category) == REQUIRED


def categories_requiring(field: str) -> tuple[str, ...]:
    """The categories in which ``field`` is required (for the field catalogue's column); none for a
    field whose requirement does not depend on the category (its own rule decides)."""
    found = fields().get(field)
    if found is None:
        return ()
    return tuple(code for code, symbol in found.requirements.items() if symbol == REQUIRED)


def _is_export(type_code: str, procedure_code: str) -> bool | None:
    if type_code == "IM":
        return False
    if type_code == "EX":
        return True
    if type_code != "CO":
        return None
    requested, previous = procedure_code[:2], procedure_code[2:4]
    if requested == "00":
        return previous in EXPORT_CLEARANCE_PREVIOUS
    return requested in EXPORT_REQUESTED


def category_of(data: DeclarationData, item: ItemData | None = None) -> str | None:
    """The declaration category of ``item`` of ``data`` (of the first item when ``item`` is None).

    ``None`` when the declaration type is missing or unknown: the rules report that, and demand
    nothing that depends on the category.
    """
    if item is None:
        item = data.items[0] if data.items else ItemData()
    export = _is_export(data.type_code, item.procedure_code)
    if export is None:
        return None
    kind = data.additional_type
    requested = item.procedure_code[:2]
    if kind == FINAL_SUPPLEMENTARY and not export:
        return "FSD"
    if kind in CLEARANCE_REQUEST:
        return "C21e" if export else "C21i"
    if kind in SIMPLIFIED_OCCASIONAL:
        return "C1 B&E" if export else "I1 B&E"
    if kind in SIMPLIFIED_REGULAR:
        return "C1 C&F" if export else "I1 C&F"
    if export:
        if data.type_code == "CO":
            return "B4"
        if requested in ("21", "22"):
            return "B2"
        if requested in ("76", "77"):
            return "B3"
        return "B1"
    if LOW_VALUE_REDUCED_DATA_SET in item.additional_procedure_codes:
        return "H7"
    if requested == "71":
        return "H2"
    if requested == "53":
        return "H3"
    if requested == "51":
        return "H4"
    if data.type_code == "CO":
        return "H5"
    return "H1"


def category_label(code: str) -> str:
    return categories()[code].label
