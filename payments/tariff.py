"""Reading the tariff: the measures, exchange rates and fees in force on a day, each set in one query.

The engine (``payments.assessment``) loads what a declaration needs once and chooses in memory:
for a commodity code the measure with the **longest prefix** in force wins, among those whose
origin covers the goods' origin.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db.models import Q

from .models.tariff import (
    ADMINISTRATION_CURRENCY,
    ExchangeRate,
    FeeBasis,
    FeeRule,
    TariffMeasure,
    TaxCategory,
    Unit,
)

# How a unit's quantity is read from a goods item: from the net mass (kilograms, DE 6/1) or from the
# supplementary units (DE 6/2, declared in the tariff's unit for the code), times a factor: 1 DTN is
# 100 kg, 1 HLT is 100 litres. Declared units of the same family convert (HLT declared, LTR asked).
_MASS = "mass"
_VOLUME = "volume"
UNIT_FAMILY: dict[str, tuple[str, Decimal]] = {
    Unit.KGM: (_MASS, Decimal(1)),
    Unit.DTN: (_MASS, Decimal(100)),
    Unit.TNE: (_MASS, Decimal(1000)),
    Unit.GRM: (_MASS, Decimal("0.001")),
    Unit.LTR: (_VOLUME, Decimal(1)),
    Unit.HLT: (_VOLUME, Decimal(100)),
    Unit.NAR: ("items", Decimal(1)),
    Unit.NPR: ("pairs", Decimal(1)),
    Unit.LPA: ("alcohol", Decimal(1)),
    Unit.MTQ: ("m3", Decimal(1)),
    Unit.MTK: ("m2", Decimal(1)),
    Unit.MTR: ("m", Decimal(1)),
}


def _in_force_on(day: date) -> Q:
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))


def code_prefixes(code: str) -> list[str]:
    """Every prefix of 2 to 10 digits of a commodity code, longest first."""
    digits = "".join(ch for ch in code if ch.isdigit())[:10]
    return [digits[:n] for n in range(len(digits), 1, -1)]


def measures_in_force(codes: Iterable[str], *, on: date) -> list[TariffMeasure]:
    """The measures in force on ``on`` for any prefix of these codes (one query)."""
    prefixes = {p for code in codes for p in code_prefixes(code)}
    if not prefixes:
        return []
    return list(TariffMeasure.objects.filter(_in_force_on(on), code_prefix__in=prefixes))


def measures_for(
    measures: Iterable[TariffMeasure], *, code: str, category: TaxCategory
) -> list[TariffMeasure]:
    """Those of ``measures`` that cover ``code`` in one category, longest prefix first."""
    prefixes = code_prefixes(code)
    rank = {p: i for i, p in enumerate(prefixes)}
    found = [m for m in measures if m.category is category and m.code_prefix in rank]
    return sorted(found, key=lambda m: (rank[m.code_prefix], m.tax_type, m.pk or 0))


def longest(measures: Iterable[TariffMeasure]) -> list[TariffMeasure]:
    """The measures of the longest prefix among ``measures`` (one per tax type)."""
    ordered = sorted(measures, key=lambda m: -len(m.code_prefix))
    if not ordered:
        return []
    best = len(ordered[0].code_prefix)
    chosen: dict[str, TariffMeasure] = {}
    for m in ordered:
        if len(m.code_prefix) == best:
            chosen.setdefault(m.tax_type, m)
    return list(chosen.values())


def rates_in_force(currencies: Iterable[str], *, on: date) -> dict[str, ExchangeRate]:
    """The administration's rate of each currency on ``on`` (one query; GBP needs none)."""
    wanted = {c for c in currencies if c and c != ADMINISTRATION_CURRENCY}
    if not wanted:
        return {}
    rates: dict[str, ExchangeRate] = {}
    for rate in ExchangeRate.objects.filter(_in_force_on(on), currency__in=wanted).order_by("-valid_from"):
        rates.setdefault(rate.currency, rate)
    return rates


def fee_rules_in_force(agency_ids: Iterable[int], *, on: date) -> dict[tuple[int, str], FeeRule]:
    """The fee rule of each agency and basis on ``on`` (one query)."""
    ids = set(agency_ids)
    if not ids:
        return {}
    rules: dict[tuple[int, str], FeeRule] = {}
    for rule in FeeRule.objects.filter(_in_force_on(on), agency_id__in=ids).order_by("-valid_from"):
        rules.setdefault((rule.agency_id, FeeBasis(rule.basis)), rule)
    return rules
