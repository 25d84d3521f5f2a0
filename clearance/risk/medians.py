"""The median declared value per unit of each HS subheading: what undervaluation rules compare with.

``medians_refresh`` recomputes the small ``ValueMedian`` table from accepted declarations' goods
items in one SQL statement (PostgreSQL's ``percentile_cont``), converting each value to the national
currency with the administration's rate in force on the acceptance date (an item whose currency has
no rate is left out), per kilogram of net mass and per supplementary unit. Subheadings with fewer
than ``min_sample`` items are not kept (a median of three is noise). A beat job runs it nightly and
the ``risk_medians_refresh`` command on demand; scoring reads the table, never past declarations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from payments.money import home_currency

from ..models import ValueMedian

DEFAULT_MIN_SAMPLE = 5
DEFAULT_MONTHS = 24
# Declarations that were accepted (whatever happened next, except being invalidated).
_COUNTED = ("accepted", "in_review", "info_requested", "released", "refused")

_SQL = """
WITH items AS (
    SELECT i.hs_subheading AS subheading,
           i.net_mass,
           i.quantity,
           NULLIF(TRIM(i.quantity_unit), '') AS unit,
           CASE WHEN COALESCE(NULLIF(i.value_currency, ''), NULLIF(d.invoice_currency, ''), %(home)s)
                     = %(home)s
                THEN i.value_amount
                ELSE i.value_amount / (
                    SELECT r.rate FROM payments_exchangerate r
                    WHERE r.currency = COALESCE(NULLIF(i.value_currency, ''), d.invoice_currency)
                      AND r.valid_from <= d.accepted_at::date
                      AND (r.valid_to IS NULL OR r.valid_to >= d.accepted_at::date)
                    ORDER BY r.valid_from DESC LIMIT 1)
           END AS value
    FROM declarations_goodsitem i
    JOIN declarations_declaration d ON d.id = i.declaration_id
    WHERE d.accepted_at >= %(since)s AND d.status IN %(statuses)s
      AND i.value_amount > 0 AND i.hs_subheading <> ''
),
per_unit AS (
    SELECT subheading, 'kg' AS unit, value / net_mass AS per FROM items
    WHERE value IS NOT NULL AND net_mass > 0
    UNION ALL
    SELECT subheading, unit, value / quantity AS per FROM items
    WHERE value IS NOT NULL AND unit IS NOT NULL AND quantity > 0
)
SELECT subheading, unit, percentile_cont(0.5) WITHIN GROUP (ORDER BY per), count(*)
FROM per_unit GROUP BY subheading, unit HAVING count(*) >= %(min_sample)s
ORDER BY subheading, unit
"""


@dataclass(frozen=True)
class Refreshed:
    kept: int
    removed: int


@transaction.atomic
def medians_refresh(*, min_sample: int = DEFAULT_MIN_SAMPLE, months: int = DEFAULT_MONTHS) -> Refreshed:
    """Recompute every median from the last ``months`` months; replaces the table's rows."""
    if connection.vendor != "postgresql":  # pragma: no cover - percentile_cont is PostgreSQL's
        return Refreshed(kept=0, removed=0)
    now = timezone.now()
    home = home_currency()
    with connection.cursor() as cursor:
        cursor.execute(
            _SQL,
            {
                "home": home,
                "since": now - timedelta(days=31 * months),
                "statuses": _COUNTED,
                "min_sample": max(1, int(min_sample)),
            },
        )
        rows = cursor.fetchall()
    removed, _ = ValueMedian.objects.all().delete()
    ValueMedian.objects.bulk_create(
        ValueMedian(
            hs_subheading=subheading,
            unit=str(unit)[:10],
            median=round(median, 6),
            currency=home,
            sample_size=count,
            refreshed_at=now,
        )
        for subheading, unit, median, count in rows
    )
    return Refreshed(kept=len(rows), removed=removed)
