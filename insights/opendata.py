"""Open data: published average release times, as the WTO Trade Facilitation Agreement asks
(Article 7.6: "measure and publish … the average release time of goods … periodically").

Per complete calendar month (a month still running is never published), per declaration type and per
office: how many declarations were released, the mean and the median time from lodgement to
release, in hours. Read from the daily histograms, never from declarations: there is no trader, no
declaration and no amount in it, and a group of fewer than ``MIN_COUNT`` declarations is left out
(it could point at one trader's consignments). Cached: a complete month changes only on a rebuild.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from . import buckets
from .models import Dimension, Stage
from .selectors import histograms_between

MONTHS = 24
MIN_COUNT = 5
CACHE_SECONDS = 3600
DATASET_VERSION = 1


def _month_start(day: date, back: int = 0) -> date:
    month = day.year * 12 + day.month - 1 - back
    return date(month // 12, month % 12 + 1, 1)


def release_times(*, today: date | None = None) -> dict[str, Any]:
    """The published data set (a dict ready for JSON), for the months before ``today``'s."""
    today = today or timezone.localdate()
    key = f"insights:opendata:v{DATASET_VERSION}:{today.isoformat()}"
    data = cache.get_or_set(key, lambda: _release_times(today), CACHE_SECONDS)
    return data if isinstance(data, dict) else _release_times(today)


def _release_times(today: date) -> dict[str, Any]:
    end = _month_start(today) - timedelta(days=1)  # the last day of the last complete month
    start = _month_start(today, MONTHS)
    groups: dict[tuple[str, str, date], Any] = {}
    for dim in (Dimension.TYPE, Dimension.OFFICE):
        found = histograms_between(
            start=start,
            end=end,
            stages=[Stage.TOTAL],
            dimension=dim,
            key=None,
            group=lambda day: day.replace(day=1),
            keep_key=True,
        )
        for (_stage, (key, month)), acc in found.items():
            groups[(str(dim), key, month)] = acc
    series: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (dimension, key, month), acc in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1])):
        if acc.count < MIN_COUNT or not key:
            continue
        median = buckets.percentile(acc.counts, 50)
        series[dimension].append(
            {
                "month": month.strftime("%Y-%m"),
                ("declaration_type" if dimension == Dimension.TYPE else "office"): key,
                "released": acc.count,
                "average_release_hours": round(acc.sum_seconds / acc.count / 3600, 2),
                "median_release_hours": None if median is None else round(median / 3600, 2),
            }
        )
    return {
        "title": "Average release times of goods",
        "description": (
            "Time from the acceptance of a customs declaration to the release of the goods, per complete "
            "calendar month, per declaration type (DE 1/1 and 1/2) and per customs office. Published "
            "under Article 7.6 of the WTO Trade Facilitation Agreement."
        ),
        "version": DATASET_VERSION,
        "generated": timezone.now().isoformat(timespec="seconds"),
        "period": {"first_month": start.strftime("%Y-%m"), "last_month": end.strftime("%Y-%m")},
        "unit": "hours",
        "median_method": "interpolated within fixed logarithmic buckets (25 % wide)",
        "minimum_group_size": MIN_COUNT,
        "by_declaration_type": series[Dimension.TYPE],
        "by_office": series[Dimension.OFFICE],
    }
