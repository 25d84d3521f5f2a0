"""Fixed log-scale buckets of durations, so percentiles over any date range are sums of counts.

Every ``StageDaily`` row keeps how many durations fell into each bucket. Bucket ``i`` holds the
durations ``EDGES[i] <= seconds < EDGES[i + 1]`` (the last one is open-ended). A percentile over many
rows: add their counts bucket by bucket, find the bucket holding the wanted rank, interpolate
linearly inside it. The answer is exact to within one bucket's width: edges grow by ``RATIO``
(about 25 % from one to the next), a relative error small enough to tell 2 h from 2 h 30.
The edges never change: rows written years apart stay comparable (change them only with a
rebuild of every ``StageDaily`` row: ``manage.py insights_rebuild``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

# 0, 1 s, then 25 % wider each step up to about 90 days: 70 buckets.
RATIO = 1.25
EDGES: tuple[int, ...] = (0, *sorted({round(RATIO**k) for k in range(0, 80) if RATIO**k < 90 * 86400}))
COUNT = len(EDGES)


def bucket_of(seconds: float) -> int:
    """The bucket index of a duration (negative durations count as 0: clocks of two systems)."""
    if seconds < 1:
        return 0
    # The edges are rounded, so start from the logarithm and correct by one at most each way.
    i = min(int(math.log(seconds) / math.log(RATIO)) + 1, COUNT - 1)
    while i > 0 and EDGES[i] > seconds:
        i -= 1
    while i + 1 < COUNT and EDGES[i + 1] <= seconds:
        i += 1
    return i


def empty() -> list[int]:
    return [0] * COUNT


def histogram(values: Iterable[float]) -> list[int]:
    counts = empty()
    for value in values:
        counts[bucket_of(value)] += 1
    return counts


def add(total: list[int], counts: Sequence[int]) -> list[int]:
    """Add ``counts`` into ``total`` in place (rows written before more buckets existed are shorter)."""
    for i, c in enumerate(counts):
        if c:
            total[i] += c
    return total


def percentile(counts: Sequence[int], q: float) -> float | None:
    """The ``q``-th percentile (0–100) of the durations counted, interpolated in its bucket; None if
    nothing was counted. The last bucket has no upper edge: its lower edge is the answer."""
    n = sum(counts)
    if n == 0:
        return None
    rank = q / 100 * n  # how many durations lie below the answer
    seen = 0
    for i, c in enumerate(counts):
        if c and seen + c >= rank:
            low = EDGES[i]
            if i + 1 >= COUNT:
                return float(low)
            high = EDGES[i + 1]
            return low + (high - low) * max(rank - seen, 0) / c
        seen += c
    return float(EDGES[-1])  # pragma: no cover - rank never exceeds n


def edges_sql_array() -> str:
    """The edges as a PostgreSQL array literal, for ``width_bucket`` in set-based aggregation."""
    return "ARRAY[" + ",".join(str(e) for e in EDGES) + "]::double precision[]"
