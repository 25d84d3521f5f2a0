"""Money: a Decimal amount with its currency, rounded by one documented rule.

Rules (docs/architecture.md, "Money"):

- Amounts are ``Decimal`` from end to end; a float is refused wherever money enters
  (``to_decimal``), because ``0.1 + 0.2`` is not ``0.3`` in binary.
- Every amount that is charged, paid or shown is rounded to its currency's minor unit (2 for GBP
  and EUR, 0 for JPY, 3 for KWD …, ISO 4217) half up (``ROUND_HALF_UP``: 0.005 → 0.01), once,
  per assessment line. Totals are sums of rounded lines, so a total always equals what its lines
  show.
- Different currencies are never added: ``Money + Money`` of two currencies raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings

# ISO 4217 minor units where they are not 2 (the facts of the standard's table).
_MINOR_UNITS = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG"),
        0,
    ),
    **dict.fromkeys(
        ("RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


def minor_units(currency: str) -> int:
    """Digits after the decimal point of ``currency`` (ISO 4217; 2 unless the table says else)."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half up to the minor unit of ``currency``."""
    return to_decimal(amount).quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def to_decimal(value: object) -> Decimal:
    """A Decimal from a Decimal, int or string; a float (or anything else) is refused."""
    if isinstance(value, bool | float):
        raise TypeError(f"money must not be a {type(value).__name__}: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not an amount: {value!r}") from None
    else:
        raise TypeError(f"money must be a Decimal, int or str, not {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return result


def home_currency() -> str:
    """The administration's currency, in which duties are assessed and the ledger is kept."""
    return str(settings.SW_CURRENCY)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency, already rounded to its minor unit."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "currency", self.currency.upper())
        object.__setattr__(self, "amount", quantize(self.amount, self.currency))

    @classmethod
    def zero(cls, currency: str | None = None) -> Money:
        return cls(Decimal(0), currency or home_currency())

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.amount:,} {self.currency}"
