"""Service levels: per agency, the share of reviews decided within their service level, the net review
time (the clock stops while the agency waits for the trader), the breaches, and who may see them.

The pages read ``ServiceLevelDaily`` (a row per agency and day) and ``ServiceLevelBreach`` (the late
reviews), rewritten by ``service_level_refresh`` a few days at a time (beat, and
``manage.py insights_service_levels_refresh``); the open overdue count is live (the partial index
``review_open_queue`` serves it). Nothing here changes a review.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from accounts.models import Role, User
from agencies.access import agency_ids_of
from agencies.models import (
    DECIDED_STATUSES,
    OPEN_STATUSES,
    Agency,
    AgencyReview,
    InformationRequest,
    ReviewStatus,
)
from agencies.selectors import QUEUE_COUNT_CAP
from agencies.templatetags.reviews import duration
from clearance.oversight.selectors import percent

from . import buckets
from .service_levels_models import ServiceLevelBreach, ServiceLevelDaily

# --- who sees what -------------------------------------------------------------------------------


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def sees_every_agency(user: User) -> bool:
    """Customs supervisors and administrators see every agency's service level."""
    return _active(user) and user.role in (Role.SUPERVISOR, Role.ADMIN)


def service_level_agencies(user: User) -> list[Agency]:
    """The agencies whose service level the user may see: every active one for supervisors and
    administrators, an officer's own; the same 404 as a missing page for everyone else (traders,
    brokers, cashiers, an officer of no agency)."""
    if sees_every_agency(user):
        return list(Agency.objects.filter(is_active=True).order_by("name"))
    if _active(user) and user.role is Role.OFFICER:
        own = agency_ids_of(user)
        if own:
            return list(Agency.objects.filter(pk__in=own).order_by("name"))
    raise Http404("No such page.")


def duration_text(seconds: float | None) -> str:
    """A duration as the insight pages write it: seconds under a minute (system times), else the
    queue's words (``3 h 20 min``, ``2 days 3 h``); a dash when there is none."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return _("%(s)d s") % {"s": round(seconds)}
    return duration(timedelta(seconds=seconds))


# --- the refresh ---------------------------------------------------------------------------------


def refresh_lock(name: str) -> None:
    """Wait for any other refresh of ``name`` to commit (a transaction-level advisory lock; the
    embedded SQLite mode has one writer at a time anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])


def _day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(first, time.min))
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
    return start, end


def net_seconds(
    *, created_at: datetime, decided_at: datetime, waits: Iterable[tuple[datetime, datetime | None]]
) -> float:
    """The review's time that counts against the agency: created → decided, less each wait for the
    trader's answer (asked → answered; a question never answered waits until the decision)."""
    paused = timedelta(0)
    for asked_at, answered_at in waits:
        end = min(answered_at or decided_at, decided_at)
        if end > asked_at:
            paused += end - asked_at
    return max((decided_at - created_at - paused).total_seconds(), 0.0)


@transaction.atomic(durable=True)
def service_level_refresh(*, first: date, last: date) -> int:
    """Rewrite the service-level rows of the days ``first``..``last`` (local dates of decision).

    Two reads (the reviews decided on those days, and their questions) streamed once, then the days'
    rows deleted and inserted again in the same transaction. Refreshes take one advisory lock in
    turn (PostgreSQL): two at once (beat and the command) run one after the other instead of the
    second failing on the unique index. Returns how many reviews were counted.
    """
    refresh_lock("insights.service_levels")
    start, end = _day_bounds(first, last)
    decided = AgencyReview.objects.filter(
        decided_at__gte=start, decided_at__lt=end, status__in=DECIDED_STATUSES
    ).order_by()
    waits: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for review_id, asked_at, answered_at in (
        InformationRequest.objects.filter(review__in=decided.values("pk"))
        .order_by()
        .values_list("review_id", "asked_at", "answered_at")
        .iterator(chunk_size=5000)
    ):
        waits[review_id].append((asked_at, answered_at))
    days: dict[tuple[date, int], list] = {}
    breaches: list[ServiceLevelBreach] = []
    counted = 0
    for pk, agency_id, declaration_id, created_at, decided_at, due_at in decided.values_list(
        "pk", "agency_id", "declaration_id", "created_at", "decided_at", "due_at"
    ).iterator(chunk_size=5000):
        if decided_at is None:  # pragma: no cover - the filter above leaves none
            continue
        counted += 1
        day = timezone.localdate(decided_at)
        row = days.setdefault((day, agency_id), [0, 0, 0.0, buckets.empty()])
        net = net_seconds(created_at=created_at, decided_at=decided_at, waits=waits.get(pk, ()))
        row[0] += 1
        row[2] += net
        row[3][buckets.bucket_of(net)] += 1
        if decided_at <= due_at:
            row[1] += 1
        else:
            breaches.append(
                ServiceLevelBreach(
                    review_id=pk,
                    agency_id=agency_id,
                    declaration_id=declaration_id,
                    day=day,
                    due_at=due_at,
                    decided_at=decided_at,
                    late_seconds=(decided_at - due_at).total_seconds(),
                )
            )
    now = timezone.now()
    ServiceLevelDaily.objects.filter(day__range=(first, last)).delete()
    ServiceLevelBreach.objects.filter(day__range=(first, last)).delete()
    ServiceLevelDaily.objects.bulk_create(
        (
            ServiceLevelDaily(
                day=day,
                agency_id=agency_id,
                decided=n,
                within=within,
                net_seconds=total,
                net_buckets=hist,
                refreshed_at=now,
            )
            for (day, agency_id), (n, within, total, hist) in sorted(days.items())
        ),
        batch_size=1000,
    )
    # A review decided again later (it cannot be, today) would move days: replace, never duplicate.
    ServiceLevelBreach.objects.bulk_create(breaches, batch_size=1000, ignore_conflicts=True)
    return counted


def service_level_refresh_recent(*, days: int = 2) -> int:
    """Today and the days before it (beat): what the pages show for the current period."""
    today = timezone.localdate()
    return service_level_refresh(first=today - timedelta(days=days - 1), last=today)


# --- the page's figures --------------------------------------------------------------------------


@dataclass
class AgencyLevel:
    agency: Agency
    decided: int = 0
    within: int = 0
    net_total: float = 0.0
    hist: list[int] = field(default_factory=buckets.empty)
    open_overdue: int = 0

    @property
    def within_share(self) -> Decimal | None:
        """Per cent of the decided reviews decided within the service level (one decimal)."""
        return percent(self.within, self.decided)

    @property
    def breached(self) -> int:
        return self.decided - self.within

    @property
    def median_seconds(self) -> float | None:
        return buckets.percentile(self.hist, 50)

    @property
    def p95_seconds(self) -> float | None:
        return buckets.percentile(self.hist, 95)


def agency_levels(*, agencies: list[Agency], first: date, last: date) -> list[AgencyLevel]:
    """Per agency over ``first``..``last``: decided, within, net-time histogram (one query over the
    daily rows) and the reviews open past their due time now (one capped GROUP BY)."""
    levels = {a.pk: AgencyLevel(agency=a) for a in agencies}
    for agency_id, decided, within, net, hist in ServiceLevelDaily.objects.filter(
        agency_id__in=list(levels), day__range=(first, last)
    ).values_list("agency_id", "decided", "within", "net_seconds", "net_buckets"):
        level = levels[agency_id]
        level.decided += decided
        level.within += within
        level.net_total += net
        buckets.add(level.hist, hist)
    for agency_id, n in open_overdue_counts(list(levels)).items():
        levels[agency_id].open_overdue = n
    return list(levels.values())


# An agency with more reviews open past due than this shows "1,000+" (as the queue's tabs do).
OVERDUE_COUNT_CAP = QUEUE_COUNT_CAP


def open_overdue_counts(agency_ids: list[int]) -> dict[int, int]:
    """Per agency, the reviews open past due now, each count capped at ``OVERDUE_COUNT_CAP + 1``:
    one query of one ``SELECT count(*) FROM (… LIMIT cap + 1)`` per agency, each reading at most
    that many entries of the partial index ``review_open_queue``, whatever the backlog."""
    if not agency_ids:
        return {}
    now = timezone.now()
    parts: list[str] = []
    params: list[Any] = []
    for n, agency_id in enumerate(agency_ids):
        inner, inner_params = (
            overdue_open(now).filter(agency_id=agency_id).order_by().values("pk")[: OVERDUE_COUNT_CAP + 1]
        ).query.sql_with_params()
        # The aliases are ours and the inner SQL is Django's, its values passed as parameters.
        parts.append(f"(SELECT count(*) FROM ({inner}) AS a{n})")  # noqa: S608
        params.extend(inner_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(agency_ids, (int(v) for v in row), strict=True))


def overdue_open(now: datetime | None = None) -> QuerySet[AgencyReview]:
    """Reviews still open past their due time, not waiting for the trader (the clock is stopped
    then), not withdrawn by a supervisor's decision."""
    return AgencyReview.objects.filter(
        status__in=OPEN_STATUSES - {ReviewStatus.INFO_REQUESTED},
        withdrawn_at__isnull=True,
        due_at__lt=now or timezone.now(),
    )


def breaches(*, agency_ids: list[int], first: date, last: date) -> QuerySet[ServiceLevelBreach]:
    """The reviews decided late in the period, latest decision first, with agency and MRN (one
    query per page; the index on ``decided_at`` serves the order)."""
    start, end = _day_bounds(first, last)
    return (
        ServiceLevelBreach.objects.filter(agency_id__in=agency_ids, decided_at__gte=start, decided_at__lt=end)
        .select_related("agency", "declaration")
        .only("review_id", "agency__name", "declaration__mrn", "day", "due_at", "decided_at", "late_seconds")
        .order_by("-decided_at", "-review_id")
    )


# The breaches list counts at most this many (the page says "10,000 or more"; the CSV has them all).
BREACH_COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A paginator whose count stops at ``BREACH_COUNT_CAP`` (``SELECT count(*) FROM (… LIMIT n)``):
    counting a year of breaches would cost more than the page."""

    @cached_property
    def count(self) -> int:
        return self.object_list[: BREACH_COUNT_CAP + 1].count()  # type: ignore[attr-defined]

    @property
    def capped(self) -> bool:
        return self.count > BREACH_COUNT_CAP


def totals(levels: list[AgencyLevel]) -> AgencyLevel:
    """Every shown agency together (the table's last row)."""
    total = AgencyLevel(agency=Agency(name=""))
    for level in levels:
        total.decided += level.decided
        total.within += level.within
        total.net_total += level.net_total
        buckets.add(total.hist, level.hist)
        total.open_overdue += level.open_overdue
    return total


def breach_count(levels: list[AgencyLevel]) -> int:
    return sum(level.breached for level in levels)
