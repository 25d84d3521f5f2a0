"""Which nomenclature edition is in force on a date, and which declared codes it does not hold.

Editions are few and change only when an administrator loads one, so they are read once per process
and again at most every ``SW_REFDATA_REFRESH_SECONDS`` (saving or deleting an edition in this
process resets the cache at once). Checking a declaration costs no query when no edition is in
force, and one query (all its codes at once) when one is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Q

_clock: Callable[[], float] = time.monotonic


@dataclass(frozen=True)
class Edition:
    pk: int
    name: str
    valid_from: date
    valid_to: date | None
    digits: int

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


_cache: tuple[tuple[Edition, ...], float] | None = None


def editions_reset() -> None:
    global _cache
    _cache = None


def _editions() -> tuple[Edition, ...]:
    global _cache
    from .models import NomenclatureEdition

    now = _clock()
    period = float(getattr(settings, "SW_REFDATA_REFRESH_SECONDS", 5.0))
    if _cache is not None and now - _cache[1] < period:
        return _cache[0]
    try:
        rows = tuple(
            Edition(pk=e.pk, name=e.name, valid_from=e.valid_from, valid_to=e.valid_to, digits=e.digits)
            for e in NomenclatureEdition.objects.order_by("-valid_from", "-pk")
        )
    except (DatabaseError, RuntimeError):
        # No table yet (before migrate) or no database access (rule tests): no edition.
        return ()
    _cache = (rows, now)
    return rows


def any_edition() -> bool:
    """Whether administrators have loaded any edition at all."""
    return bool(_editions())


def edition_in_force(day: date) -> Edition | None:
    """The edition valid on ``day``; of overlapping editions, the one that took effect last."""
    return next((e for e in _editions() if e.covers(day)), None)


def unknown_codes(edition: Edition, codes: Iterable[str]) -> set[str]:
    """The codes (8 or 10 digits) that ``edition`` does not hold.

    A 10-digit code must be one of a 10-digit edition's codes; against an 8-digit edition (the
    combined nomenclature) its first eight digits are checked. An 8-digit code must be the first
    eight digits of one of the edition's codes.
    """
    from .models import NomenclatureCode

    wanted = {c for c in codes if len(c) in (8, 10)}
    if not wanted:
        return set()
    exact = {c for c in wanted if len(c) == 10 and edition.digits == 10}
    by_cn8 = {c[:8] for c in wanted if c not in exact}
    found_codes: set[str] = set()
    found_cn8: set[str] = set()
    query = NomenclatureCode.objects.filter(edition_id=edition.pk)
    rows = query.filter(Q(code__in=exact) | Q(cn8__in=by_cn8)).values_list("code", "cn8")
    for code, cn8 in rows:
        found_codes.add(code)
        found_cn8.add(cn8)
    return {c for c in wanted if (c not in found_codes if c in exact else c[:8] not in found_cn8)}
