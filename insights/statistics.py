"""Trade statistics: value and mass of the goods released, by month, HS chapter and origin.

Read from ``TradeMonthly`` only (a few thousand rows a year), which ``trade_monthly_refresh``
rewrites set-based, a month at a time: one GROUP BY over the goods items of the declarations
accepted in those months, then the months' rows replaced in the same transaction. Beat refreshes
the current and the previous month; ``manage.py insights_trade_refresh --since`` any range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Substr, TruncMonth
from django.utils import timezone

from declarations.models import GoodsItem
from declarations.models import Status as DeclarationStatus
from payments.models import ExchangeRate
from payments.money import home_currency

from .service_levels import refresh_lock
from .statistics_models import TradeMonthly

ZERO = Decimal(0)
AMOUNT: DecimalField[Decimal, Decimal] = DecimalField(max_digits=22, decimal_places=3)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every first of the month from ``first``'s month to ``last``'s, in order."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@transaction.atomic(durable=True)
def trade_monthly_refresh(*, first: date, last: date) -> int:
    """Rewrite the statistics of the months from ``first``'s to ``last``'s; returns the rows written.

    Counts the goods items of released declarations by the month the declaration was accepted,
    its direction, the item's HS chapter and origin: items, distinct declarations, value in the
    administration's currency (``home_value``) and net mass. A declaration released after the refresh
    of its month is counted by the next one (beat refreshes the last two months every hour).
    """
    refresh_lock("insights.statistics")  # one refresh at a time: the next waits, then rewrites
    months = months_between(first, last)
    start, end = _aware(months[0]), _aware(next_month(months[-1]))
    grouped = (
        GoodsItem.objects.filter(
            declaration__status=DeclarationStatus.RELEASED,
            declaration__accepted_at__gte=start,
            declaration__accepted_at__lt=end,
        )
        .annotate(
            month=TruncMonth("declaration__accepted_at"),
            chapter=Substr("commodity_code", 1, 2),
            home_value=home_value(),
        )
        .values("month", "declaration__direction", "chapter", "origin_country")
        .annotate(
            declarations=Count("declaration_id", distinct=True),
            traders=Count("declaration__trader_account_id", distinct=True),
            items=Count("pk"),
            value=Coalesce(Sum("home_value"), Value(ZERO), output_field=AMOUNT),
            mass=Coalesce(Sum("net_mass"), Value(ZERO), output_field=AMOUNT),
        )
        .order_by()
    )
    now = timezone.now()
    rows = [
        TradeMonthly(
            month=timezone.localdate(row["month"]) if isinstance(row["month"], datetime) else row["month"],
            direction=row["declaration__direction"] or "",
            hs_chapter=row["chapter"] or "",
            origin=row["origin_country"] or "",
            declarations=row["declarations"],
            traders=row["traders"],
            items=row["items"],
            statistical_value=row["value"],
            net_mass=row["mass"],
            refreshed_at=now,
        )
        for row in grouped
    ]
    TradeMonthly.objects.filter(month__in=months).delete()
    TradeMonthly.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def trade_monthly_refresh_recent() -> int:
    """This month and the previous one (beat)."""
    today = timezone.localdate()
    first = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    return trade_monthly_refresh(first=first, last=today)


def home_value() -> Case:
    """An item's value in the administration's currency, in SQL: the statistical value (DE 99/6)
    when declared in it, else the item price (DE 4/14) in it, else the price converted at the
    declaration's own rate (DE 4/15) or the administration's rate of the month of acceptance
    (``payments.ExchangeRate``: units of the currency for one unit of the home currency); 0 when
    no rate applies."""
    home = home_currency()
    rate = (
        ExchangeRate.objects.filter(
            currency=OuterRef("value_currency"),
            valid_from__lte=OuterRef("declaration__accepted_at"),
        )
        .order_by("-valid_from")
        .values("rate")[:1]
    )
    return Case(
        When(
            Q(statistical_value__isnull=False) & Q(statistical_currency__in=["", home]),
            then=F("statistical_value"),
        ),
        When(Q(value_amount__isnull=False) & Q(value_currency__in=["", home]), then=F("value_amount")),
        When(
            Q(value_amount__isnull=False) & Q(declaration__exchange_rate__gt=0),
            then=F("value_amount") / F("declaration__exchange_rate"),
        ),
        When(value_amount__isnull=False, then=F("value_amount") / Subquery(rate)),
        default=Value(ZERO),
        output_field=AMOUNT,
    )


# --- the page's figures --------------------------------------------------------------------------


@dataclass(frozen=True)
class TradeFilter:
    first: date  # a first of the month
    last: date  # a first of the month
    direction: str = ""
    chapter: str = ""
    origin: str = ""


@dataclass
class TradeRow:
    key: str  # a chapter, an origin or a month (ISO)
    declarations: int = 0
    items: int = 0
    value: Decimal = ZERO
    mass: Decimal = ZERO

    def add(self, declarations: int, items: int, value: Decimal, mass: Decimal) -> None:
        self.declarations += declarations
        self.items += items
        self.value += value
        self.mass += mass


def _rows(f: TradeFilter) -> QuerySet[TradeMonthly]:
    rows = TradeMonthly.objects.filter(month__range=(f.first, f.last))
    if f.direction:
        rows = rows.filter(direction=f.direction)
    if f.chapter:
        rows = rows.filter(hs_chapter=f.chapter)
    if f.origin:
        rows = rows.filter(origin=f.origin)
    return rows


def trade_by(f: TradeFilter, dimension: str) -> list[TradeRow]:
    """Totals per ``dimension`` (``hs_chapter``, ``origin`` or ``month``) over the filter: one
    GROUP BY over the monthly rows. ``declarations`` sums the cells' counts: a declaration with
    goods of two chapters counts in each (a total over chapters is an upper bound)."""
    grouped = (
        _rows(f)
        .values(dimension)
        .annotate(
            d=Sum("declarations"),
            i=Sum("items"),
            v=Sum("statistical_value"),
            m=Sum("net_mass"),
        )
        .order_by()
    )
    result = [
        TradeRow(
            key=row[dimension].isoformat() if isinstance(row[dimension], date) else row[dimension],
            declarations=int(row["d"] or 0),
            items=int(row["i"] or 0),
            value=row["v"] or ZERO,
            mass=row["m"] or ZERO,
        )
        for row in grouped
    ]
    if dimension == "month":
        by_month = {r.key: r for r in result}
        return [
            by_month.get(m.isoformat(), TradeRow(key=m.isoformat())) for m in months_between(f.first, f.last)
        ]
    return sorted(result, key=lambda r: (-r.value, r.key))


def trade_total(rows: list[TradeRow]) -> TradeRow:
    total = TradeRow(key="")
    for row in rows:
        total.add(row.declarations, row.items, row.value, row.mass)
    return total


def trade_open_data(*, first: date, last: date) -> list[dict[str, object]]:
    """Monthly value and mass per direction and HS chapter, for publication: aggregates only (no
    origin below a chapter's month, no trader), one query. ``declarations`` sums the cells' counts
    over origins (an upper bound); ``traders`` is the most traders of any one origin (a lower bound:
    the caller suppresses small cells on it, so a cell of fewer traders is never published)."""
    grouped = (
        TradeMonthly.objects.filter(month__range=(month_start(first), month_start(last)))
        .values("month", "direction", "hs_chapter")
        .annotate(
            d=Sum("declarations"),
            t=Max("traders"),
            i=Sum("items"),
            v=Sum("statistical_value"),
            m=Sum("net_mass"),
        )
        .order_by("month", "direction", "hs_chapter")
    )
    return [
        {
            "month": row["month"].strftime("%Y-%m"),
            "direction": row["direction"],
            "hs_chapter": row["hs_chapter"],
            "declarations": int(row["d"] or 0),
            "traders": int(row["t"] or 0),
            "goods_items": int(row["i"] or 0),
            "statistical_value": str(row["v"] or ZERO),
            "net_mass_kg": str(row["m"] or ZERO),
        }
        for row in grouped
    ]


def chapters_and_origins() -> tuple[list[str], list[str]]:
    """The chapters and origins present (for the filter's choices): two small DISTINCT queries."""
    chapters = sorted(set(TradeMonthly.objects.values_list("hs_chapter", flat=True).distinct()))
    origins = sorted(set(TradeMonthly.objects.exclude(origin="").values_list("origin", flat=True).distinct()))
    return chapters, origins


def last_refreshed() -> str | None:
    """When the statistics were last rewritten (ISO), None before the first refresh."""
    at = TradeMonthly.objects.order_by("-refreshed_at").values_list("refreshed_at", flat=True).first()
    return at.isoformat() if at else None
