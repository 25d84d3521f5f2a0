"""Reference data the portal's rules check declarations against: shipped facts plus overrides.

The files beside this module are facts derived from public sources by ``build.py`` (run it to
regenerate them): the HS 2022 nomenclature, the HS 2017→2022 subheadings that were split, and
HMRC's code lists (the procedure, additional procedure and document codes widened by the codes
HMRC's accepted samples use, as ``build.py`` explains). Lookups return the English name (or
description) of a code, or ``None`` when the code is unknown, so callers can both test membership
and name the thing in a message.

Countries and currencies are the union of ISO (pycountry) and HMRC's lists: HMRC also accepts
user-assigned codes that ISO does not define (``XK`` Kosovo, ``XC`` Ceuta, ``XL`` Melilla, the
``Z?`` continental-shelf sectors) and currency codes ISO has withdrawn (``HRK``, ``BGN`` ...)
that older invoices still carry; a declaration HMRC accepts must not be refused here.

Administrators change the lists in the admin (``declarations.models.ReferenceCode``) without a
release: every public lookup answers from the shipped files merged with those overrides, an
active row adding or renaming a code and an inactive one withdrawing it. Deleting the row
restores the shipped fact. The shipped files are read once per process; the overrides are one
small query, cached per process and kept fresh as ``_current`` describes. The HS edition changes
(``hs_successors``) are a historical table, not a code list, and are not overridden.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
import time
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pycountry

HERE = Path(__file__).resolve().parent

# The code lists an administrator can override: ``ReferenceCode.code_list`` values.
HS = "hs"
COUNTRY = "country"
CURRENCY = "currency"
CUSTOMS_OFFICE = "customs_office"
EXIT_OFFICE = "exit_office"
PACKAGE_TYPE = "package_type"
PROCEDURE = "procedure"
ADDITIONAL_PROCEDURE = "additional_procedure"
DOCUMENT = "document"
# Document codes that, declared at header level, cover every goods item (a deferment account, an
# authorisation of the trader); any other code counts only for the goods item that carries it.
HEADER_DOCUMENT = "header_document"
# DE 5/23 locations of goods HMRC lists (by the identification sent as ``GoodsLocation/Name``): a
# partial list the form suggests from; the rules do not refuse a location missing from it.
GOODS_LOCATION = "goods_location"
# DE 4/3 tax types and DE 4/8 methods of payment: partial lists (the rules warn about a code
# missing from them, they do not refuse it).
TAX_TYPE = "tax_type"
PAYMENT_METHOD = "payment_method"

DEFAULT_REFRESH_SECONDS = 5.0
# The freshness check compares max(updated_at) and count(*). Those stamps come from the writing
# process's clock, so two edits of existing rows on servers whose clocks differ could leave the
# max unchanged; reloading the rows outright every this many refresh periods bounds such a miss.
FULL_RELOAD_PERIODS = 12

# Read through this name so tests can move the clock without sleeping.
_clock: Callable[[], float] = time.monotonic


# --- shipped facts ----------------------------------------------------------------------------


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
def _shipped_hs() -> dict[str, str]:
    with gzip.open(HERE / "hs2022.csv.gz", "rb") as f:
        text = f.read().decode("utf-8")
    return {row["code"]: row["description"] for row in csv.DictReader(io.StringIO(text))}


@functools.cache
def _shipped_countries() -> dict[str, str]:
    names = {c.alpha_2: c.name for c in pycountry.countries}
    names.update(_names("countries.json"))
    return names


@functools.cache
def _shipped_currencies() -> dict[str, str]:
    names = {c.alpha_3: c.name for c in pycountry.currencies}
    names.update(_names("currencies.json"))
    return names


@functools.cache
def _procedure_section(section: str) -> dict[str, str]:
    codes = _json("procedure_codes.json")[section]
    assert isinstance(codes, dict)
    return {code: str(text) for code, text in codes.items()}


@functools.cache
def _shipped_procedures() -> dict[str, str]:
    # Two-digit halves ("parts") and combined four-digit codes never collide, so one list holds
    # both and the length of an override's code says which it changes.
    return {**_procedure_section("parts"), **_procedure_section("combined")}


_SHIPPED: dict[str, Callable[[], Mapping[str, str]]] = {
    HS: _shipped_hs,
    COUNTRY: _shipped_countries,
    CURRENCY: _shipped_currencies,
    CUSTOMS_OFFICE: lambda: _names("customs_offices.json"),
    EXIT_OFFICE: lambda: _names("offices_of_exit.json"),
    PACKAGE_TYPE: lambda: _names("package_types.json"),
    PROCEDURE: _shipped_procedures,
    ADDITIONAL_PROCEDURE: lambda: _names("additional_procedure_codes.json"),
    DOCUMENT: lambda: _names("document_codes.json"),
    HEADER_DOCUMENT: lambda: _names("header_document_codes.json"),
    GOODS_LOCATION: lambda: _names("goods_locations.json"),
    TAX_TYPE: lambda: _names("tax_types.json"),
    PAYMENT_METHOD: lambda: _names("payment_methods.json"),
}


def shipped_description(code_list: str, code: str) -> str | None:
    """What the shipped files say about ``code`` in ``code_list``, ignoring overrides."""
    shipped = _SHIPPED.get(code_list)
    return None if shipped is None else shipped().get(code)


# --- administrator overrides ------------------------------------------------------------------

Stamp = tuple[datetime | None, int]  # max(updated_at), count(*) of ReferenceCode


@dataclass(frozen=True)
class _Overrides:
    """One read of ``ReferenceCode``, shared by threads: only its memoised views are filled in later."""

    added: Mapping[str, Mapping[str, str]]  # code list -> {code: description}
    withdrawn: Mapping[str, frozenset[str]]
    stamp: Stamp | None  # None: read from the shipped files only (no database)
    loaded_at: float
    _merged: dict[str, Mapping[str, str]] = field(default_factory=dict, compare=False, repr=False)

    def describe(self, code_list: str, code: str) -> str | None:
        if code in self.withdrawn.get(code_list, ()):
            return None
        added = self.added.get(code_list, {}).get(code)
        return added if added is not None else shipped_description(code_list, code)

    def merged(self, code_list: str) -> Mapping[str, str]:
        """The whole list with overrides applied, built once per read (not per lookup)."""
        if (cached := self._merged.get(code_list)) is not None:
            return cached
        names = dict(_SHIPPED[code_list]())
        names.update(self.added.get(code_list, {}))
        for code in self.withdrawn.get(code_list, ()):
            names.pop(code, None)
        view = types.MappingProxyType(names)
        self._merged[code_list] = view
        return view

    @functools.cached_property
    def procedure_parts(self) -> frozenset[str]:
        # Asked once per goods item: built once per read.
        return frozenset(code for code in self.merged(PROCEDURE) if len(code) == 2)


# No overrides: what lookups use when the database cannot answer. Its views are memoised like any
# read's, so a process without a database still builds each merged list once.
_SHIPPED_ONLY = _Overrides(added={}, withdrawn={}, stamp=None, loaded_at=0.0)


# The last read and when its freshness was last checked, replaced as one tuple so that a thread
# never sees one without the other. Two threads may both refresh at once: that costs a query, not
# correctness.
_state: tuple[_Overrides, float] | None = None


def overrides_reset() -> None:
    """Forget the cached overrides; the next lookup reads them again (called on save and delete)."""
    global _state
    _state = None


def _refresh_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "SW_REFDATA_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS))


def _django_ready() -> bool:
    from django.apps import apps
    from django.conf import settings

    # build.py and plain scripts use the shipped data without configuring Django.
    return settings.configured and apps.ready


def _database_unavailable() -> tuple[type[BaseException], ...]:
    from django.db import DatabaseError

    # DatabaseError: no database yet, or the table is missing (before ``migrate``, or while it
    # runs). RuntimeError: pytest-django raises it for database access in a test not marked
    # ``django_db``; the rule tests check canned declarations without a database and must get
    # the shipped facts, as the portal would with no overrides.
    return (DatabaseError, RuntimeError)


def _load(now: float) -> _Overrides:
    """Every override in one query; the shipped data alone if the database cannot answer."""
    from django.db import connection, transaction

    from ..models import ReferenceCode

    try:
        query = ReferenceCode.objects.values_list(
            "code_list", "code", "description", "is_active", "updated_at"
        )
        if connection.in_atomic_block and connection.vendor == "postgresql":
            # A failed statement aborts a PostgreSQL transaction: contain a missing table in a
            # savepoint so the caller's transaction (``migrate`` runs in one) survives. Outside a
            # transaction, which is how the portal validates (no ATOMIC_REQUESTS, lodgement checks
            # before its transaction), no savepoint is needed.
            with transaction.atomic():
                rows = list(query)
        else:
            rows = list(query)
    except _database_unavailable():
        return _SHIPPED_ONLY
    added: dict[str, dict[str, str]] = {}
    withdrawn: dict[str, set[str]] = {}
    for code_list, code, description, is_active, _updated_at in rows:
        if is_active:
            # A check constraint refuses an active row without a description; should one exist
            # anyway, the code is still added, under its shipped name if it has one.
            added.setdefault(code_list, {})[code] = (
                description or shipped_description(code_list, code) or code
            )
        else:
            withdrawn.setdefault(code_list, set()).add(code)
    latest = max((row[4] for row in rows), default=None)
    return _Overrides(
        added=added,
        withdrawn={code_list: frozenset(codes) for code_list, codes in withdrawn.items()},
        stamp=(latest, len(rows)),
        loaded_at=now,
    )


def _read_stamp() -> Stamp | None:
    from django.db.models import Count, Max

    from ..models import ReferenceCode

    try:
        # No savepoint needed: a stamp is read only after a load succeeded, so the table exists.
        found = ReferenceCode.objects.aggregate(latest=Max("updated_at"), count=Count("pk"))
    except _database_unavailable():
        return None
    return (found["latest"], found["count"])


def _current() -> _Overrides:
    """The overrides to apply now: cached, checked for freshness at most once per refresh period.

    Within the period no query runs, so a validation costs at most one query however many items
    it has. After it, one ``SELECT max(updated_at), count(*)`` tells whether another process (an
    administrator in another worker) changed anything; only then are the rows read again. A save
    or delete in this process resets the cache at once (``overrides_reset``). A queryset
    ``update()`` or ``bulk_create`` sends no signal and is seen through the freshness check.
    """
    global _state
    if not _django_ready():
        return _SHIPPED_ONLY
    now = _clock()
    period = _refresh_seconds()
    state = _state
    if state is not None and now - state[1] < period:
        return state[0]
    cached = state[0] if state is not None else None
    if cached is None or cached.stamp is None or now - cached.loaded_at >= FULL_RELOAD_PERIODS * period:
        fresh = _load(now)
    else:
        stamp = _read_stamp()
        # The database not answering now keeps the last overrides it gave: better than reverting to
        # the shipped data while it is briefly away.
        fresh = cached if stamp is None or stamp == cached.stamp else _load(now)
    _state = (fresh, now)
    return fresh


# --- lookups ----------------------------------------------------------------------------------


def hs_codes() -> Mapping[str, str]:
    """HS 2022 chapters (2 digits), headings (4) and subheadings (6) with their descriptions."""
    return _current().merged(HS)


def hs_description(code: str) -> str | None:
    """Description of an HS 2022 chapter, heading or subheading (by its 2, 4 or 6 digits)."""
    return _current().describe(HS, code)


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


def countries() -> Mapping[str, str]:
    return _current().merged(COUNTRY)


def country_name(code: str) -> str | None:
    return _current().describe(COUNTRY, code)


def currencies() -> Mapping[str, str]:
    return _current().merged(CURRENCY)


def currency_name(code: str) -> str | None:
    return _current().describe(CURRENCY, code)


def office_of_exit(code: str) -> str | None:
    """Name of an office of exit (DE 5/12) in HMRC's list."""
    return _current().describe(EXIT_OFFICE, code)


def customs_office(code: str) -> str | None:
    """Name of a customs office (supervising, presentation) in HMRC's list."""
    return _current().describe(CUSTOMS_OFFICE, code)


def package_type(code: str) -> str | None:
    """Name of a UN/ECE package type (DE 6/9)."""
    return _current().describe(PACKAGE_TYPE, code)


def procedure_codes() -> Mapping[str, str]:
    """The DE 1/10 list: two-digit procedures and combined four-digit codes, with their names."""
    return _current().merged(PROCEDURE)


def procedure_code_parts() -> frozenset[str]:
    """Two-digit procedure codes accepted as either half of a DE 1/10 procedure code."""
    return _current().procedure_parts


def procedure_code_name(code: str) -> str | None:
    """The name of a four-digit DE 1/10 procedure code in the list (``None`` when it is not listed)."""
    return _current().describe(PROCEDURE, code) if len(code) == 4 else None


@functools.cache
def _allowed_additional() -> dict[str, frozenset[str]]:
    allowed = _json("procedure_codes.json")["allowed_additional"]
    assert isinstance(allowed, dict)
    return {code: frozenset(codes) for code, codes in allowed.items()}


def additional_codes_allowed_with(procedure_code: str) -> frozenset[str] | None:
    """The DE 1/11 codes CDS allows with a DE 1/10 procedure code, or ``None`` when no source lists
    them for that code (then any listed additional procedure code goes). A shipped fact, not an
    overridable code list."""
    return _allowed_additional().get(procedure_code)


def additional_procedure_code(code: str) -> str | None:
    """Description of a DE 1/11 additional procedure code (``000``, ``1CS``, ``C07``)."""
    return _current().describe(ADDITIONAL_PROCEDURE, code)


def document_code(code: str) -> str | None:
    """Description of a DE 2/3 document code (``N935``, ``C506``) or DE 2/6 deferment type (``1DAN``)."""
    return _current().describe(DOCUMENT, code)


def tax_type(code: str) -> str | None:
    """Name of a DE 4/3 tax type (``A00`` customs duty, ``B00`` VAT)."""
    return _current().describe(TAX_TYPE, code)


def payment_method(code: str) -> str | None:
    """Name of a DE 4/8 method of payment (``E`` deferment account)."""
    return _current().describe(PAYMENT_METHOD, code)


def code_list(name: str) -> Mapping[str, str]:
    """A whole code list (``COUNTRY``, ``DOCUMENT`` ...) as the rules see it: shipped plus overrides."""
    if name not in _SHIPPED:
        raise KeyError(name)
    return _current().merged(name)


def code_list_stamp() -> Stamp | None:
    """What changes when the overrides change (None without a database): a version of every list."""
    return _current().stamp


def document_covers_every_item(code: str) -> bool:
    """Whether a document of this code declared at header level counts for every goods item.

    True for codes of the whole declaration (the DE 2/6 deferment ``1DAN``, and what administrators
    add to the ``header_document`` list); a licence or certificate (``N853``, ``X002``) declared at
    header level covers no goods item: it must be on the item.
    """
    return _current().describe(HEADER_DOCUMENT, code) is not None
