"""Reference data the portal's rules check declarations against, loaded once per process.

The files beside this module are facts derived from public sources by ``build.py`` (run it to
regenerate them): the HS 2022 nomenclature, the HS 2017→2022 subheadings that were split, and
HMRC's code lists. Lookups return the English name (or description) of a code, or ``None`` when
the code is unknown, so callers can both test membership and name the thing in a message.

Countries and currencies are the union of ISO (pycountry) and HMRC's lists: HMRC also accepts
user-assigned codes that ISO does not define (``XK`` Kosovo, ``XC`` Ceuta, ``XL`` Melilla, the
``Z?`` continental-shelf sectors) and currency codes ISO has withdrawn (``HRK``, ``BGN`` ...)
that older invoices still carry; a declaration HMRC accepts must not be refused here.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
from pathlib import Path

import pycountry

HERE = Path(__file__).resolve().parent


@functools.cache
def _json(name: str) -> dict[str, object]:
    with (HERE / name).open(encoding="utf-8") as f:
        data = json.load(f)
    assert isinstance(data, dict), name
    return data


@functools.cache
def _names(name: str) -> dict[str, str]:
    return {code: str(text) for code, text in _json(name).items()}


@functools.cache
def hs_codes() -> dict[str, str]:
    """HS 2022 chapters (2 digits), headings (4) and subheadings (6) with their descriptions."""
    with gzip.open(HERE / "hs2022.csv.gz", "rb") as f:
        text = f.read().decode("utf-8")
    return {row["code"]: row["description"] for row in csv.DictReader(io.StringIO(text))}


def hs_description(code: str) -> str | None:
    """Description of an HS 2022 chapter, heading or subheading (by its 2, 4 or 6 digits)."""
    return hs_codes().get(code)


@functools.cache
def hs_edition_changes() -> dict[str, tuple[str, ...]]:
    """HS 2017 subheadings removed by HS 2022, each with the subheadings that replaced it."""
    changes: dict[str, tuple[str, ...]] = {}
    for old, new in _json("hs_edition_changes.json").items():
        assert isinstance(new, list), old
        changes[old] = tuple(str(code) for code in new)
    return changes


def hs_successors(subheading: str) -> tuple[str, ...]:
    """The HS 2022 subheadings that replaced a removed HS 2017 one; empty if it was not split."""
    return hs_edition_changes().get(subheading, ())


@functools.cache
def countries() -> dict[str, str]:
    names = {c.alpha_2: c.name for c in pycountry.countries}
    names.update(_names("countries.json"))
    return names


def country_name(code: str) -> str | None:
    return countries().get(code)


@functools.cache
def currencies() -> dict[str, str]:
    names = {c.alpha_3: c.name for c in pycountry.currencies}
    names.update(_names("currencies.json"))
    return names


def currency_name(code: str) -> str | None:
    return currencies().get(code)


def office_of_exit(code: str) -> str | None:
    """Name of an office of exit (DE 5/12) in HMRC's list."""
    return _names("offices_of_exit.json").get(code)


def customs_office(code: str) -> str | None:
    """Name of a customs office (supervising, presentation) in HMRC's list."""
    return _names("customs_offices.json").get(code)


def package_type(code: str) -> str | None:
    """Name of a UN/ECE package type (DE 6/9)."""
    return _names("package_types.json").get(code)


@functools.cache
def procedure_code_parts() -> frozenset[str]:
    """Two-digit procedure codes accepted as either half of a DE 1/10 procedure code."""
    parts = _json("procedure_codes.json")["parts"]
    assert isinstance(parts, dict)
    return frozenset(parts)


def procedure_code_name(code: str) -> str | None:
    """HMRC's name for a combined four-digit procedure code, when HMRC's list has it."""
    combined = _json("procedure_codes.json")["combined"]
    assert isinstance(combined, dict)
    name = combined.get(code)
    return None if name is None else str(name)
