"""The administration's balanced scorecard: a period's key figures beside the previous period's, each
with its weekly course.

One GROUP BY per figure over both periods at once (by day), whatever the volume: clearance and
system processing times from the Time Release Study's daily histograms (``StageDaily``), revenue
from the ledger (``payments.selectors``), controls and joint inspections, service requests and
satisfaction ratings (``support``), failures (webhook and response deliveries, rejected
lodgements; the outbox backlog now).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import DeliveryStatus, WebhookDelivery
from clearance.models import ControlOutcome, ControlStatus, ControlTask, InspectionStatus, JointInspection
from clearance.oversight.selectors import Period, percent
from declarations.models import DeclarationResponse, ResponseDelivery, ResponseDeliveryStatus, ResponseKind
from payments import selectors as money
from payments.money import home_currency
from singlewindow.models import OutboxMessage
from support.models import ANSWERED_ON_TIME, SatisfactionRating, ServiceRequest

from . import buckets
from .models import Dimension, Stage, StageDaily
from .service_levels import duration_text

# An outbox row unpublished for longer than this is stuck (the relay publishes within seconds).
OUTBOX_STUCK = timedelta(minutes=10)


def previous_period(period: Period) -> Period:
    """The period of the same length just before ``period``."""
    days = (period.last - period.first).days + 1
    return Period(first=period.first - timedelta(days=days), last=period.first - timedelta(days=1))


def weeks_of(period: Period) -> list[tuple[date, date]]:
    """The period cut into 7-day spans from its first day (the last one may be shorter)."""
    spans, start = [], period.first
    while start <= period.last:
        spans.append((start, min(start + timedelta(days=6), period.last)))
        start += timedelta(days=7)
    return spans


def _day(value: date | datetime) -> date:
    return timezone.localdate(value) if isinstance(value, datetime) else value


@dataclass
class Kpi:
    """One tile: the figure now and before, whether up is better, and its weekly values."""

    key: str
    label: str
    unit: str  # duration | money | count | percent | score
    current: float | None
    previous: float | None
    higher_is_better: bool | None  # None: neither (a volume)
    weekly: list[float | None] = field(default_factory=list)
    detail: str = ""
    available: bool = True

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def direction(self) -> str:
        """``up``, ``down``, ``same`` or ``""`` (nothing to compare)."""
        change = self.change
        if change is None:
            return ""
        if abs(change) < 1e-9:
            return "same"
        return "up" if change > 0 else "down"

    @property
    def verdict(self) -> str:
        """``better``, ``worse`` or ``""`` (a volume, no change, nothing to compare)."""
        if self.higher_is_better is None or self.direction in ("", "same"):
            return ""
        return "better" if (self.direction == "up") == self.higher_is_better else "worse"

    @property
    def relative_change(self) -> float | None:
        """The change in per cent of the previous figure (points for a percentage: see ``unit``)."""
        change = self.change
        if change is None or self.unit == "percent" or not self.previous:
            return None
        return 100 * change / self.previous


@dataclass
class Scorecard:
    period: Period
    previous: Period
    kpis: list[Kpi]
    processing: list[ProcessingRow]
    failures: list[FailureRow]
    currency: str
    weeks: list[tuple[date, date]]

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)


@dataclass
class ProcessingRow:
    declaration_type: str
    count: int
    p50: float | None
    p95: float | None
    previous_p50: float | None


@dataclass
class FailureRow:
    label: str
    current: int
    previous: int | None  # None: a count of now, not of a period


# --- one source per figure ------------------------------------------------------------------------


class _Days:
    """Per-day values of one figure over both periods; sums per period and per week."""

    def __init__(self, card_period: Period, before: Period) -> None:
        self.period, self.before = card_period, before
        self.values: dict[date, dict[str, float]] = defaultdict(lambda: defaultdict(float))

    def add(self, day: date, **values: float) -> None:
        for name, value in values.items():
            self.values[day][name] += float(value or 0)

    def total(self, name: str, period: Period) -> float:
        return sum(v.get(name, 0.0) for d, v in self.values.items() if period.first <= d <= period.last)

    def weekly(self, name: str) -> list[float]:
        return [
            sum(v.get(name, 0.0) for d, v in self.values.items() if first <= d <= last)
            for first, last in weeks_of(self.period)
        ]


def _ratio(part: float, whole: float) -> float | None:
    value = percent(int(part), int(whole))
    return None if value is None else float(value)


def _ratio_weekly(days: _Days, part: str, whole: str) -> list[float | None]:
    return [_ratio(p, w) for p, w in zip(days.weekly(part), days.weekly(whole), strict=True)]


def _stage_histograms(span: Period) -> dict[tuple[str, str, str], dict[date, tuple[int, list[int]]]]:
    """The daily histograms of the stages the scorecard reads, both periods, one query."""
    rows = StageDaily.objects.filter(
        day__range=(span.first, span.last),
        stage__in=[Stage.TOTAL, Stage.ROUTING],
        dimension__in=[Dimension.ALL, Dimension.TYPE],
    ).values_list("stage", "dimension", "key", "day", "count", "buckets")
    found: dict[tuple[str, str, str], dict[date, tuple[int, list[int]]]] = defaultdict(dict)
    for stage, dimension, key, day, count, hist in rows:
        found[(stage, dimension, key)][day] = (count, hist)
    return found


def _percentile(days: dict[date, tuple[int, list[int]]], first: date, last: date, q: float) -> float | None:
    total = buckets.empty()
    for day, (_count, hist) in days.items():
        if first <= day <= last:
            buckets.add(total, hist)
    return buckets.percentile(total, q)


def _count(days: dict[date, tuple[int, list[int]]], period: Period) -> int:
    return sum(c for d, (c, _h) in days.items() if period.first <= d <= period.last)


def _time_kpi(
    key: str, label: str, days: dict[date, tuple[int, list[int]]], period: Period, before: Period, detail: str
) -> Kpi:
    """A median time (lower is better) from daily histograms."""
    return Kpi(
        key=key,
        label=label,
        unit="duration",
        current=_percentile(days, period.first, period.last, 50),
        previous=_percentile(days, before.first, before.last, 50),
        higher_is_better=False,
        weekly=[_percentile(days, first, last, 50) for first, last in weeks_of(period)],
        detail=detail,
    )


def scorecard(period: Period) -> Scorecard:
    """Every figure of the scorecard for ``period`` and the period before it."""
    before = previous_period(period)
    span = Period(first=before.first, last=period.last)
    start, end = span.start, span.end
    kpis: list[Kpi] = []

    # Clearance time (lodgement to release) and system processing time (lodgement to routing).
    stages = _stage_histograms(span)
    total_days = stages.get((Stage.TOTAL, Dimension.ALL, ""), {})
    kpis.append(
        _time_kpi(
            "clearance_time",
            _("Clearance time"),
            total_days,
            period,
            before,
            _("median from lodgement to release of %(n)s declarations; 95th percentile %(p95)s")
            % {
                "n": _count(total_days, period),
                "p95": _duration_or_dash(_percentile(total_days, period.first, period.last, 95)),
            },
        )
    )
    routing_days = stages.get((Stage.ROUTING, Dimension.ALL, ""), {})
    kpis.append(
        _time_kpi(
            "processing_time",
            _("System processing time"),
            routing_days,
            period,
            before,
            _("median from lodgement to routing; 95th percentile %(p95)s")
            % {"p95": _duration_or_dash(_percentile(routing_days, period.first, period.last, 95))},
        )
    )

    # Revenue collected (the ledger's revenue accounts, net of reversals and refunds).
    currency = home_currency()
    revenue = money.revenue_by_day_and_tax(date_from=span.first, date_to=span.last, currency=currency)
    money_days = _Days(period, before)
    for day, _amounts, total in revenue.rows:
        money_days.add(day, amount=float(total))
    kpis.append(
        Kpi(
            key="revenue",
            label=_("Revenue collected"),
            unit="money",
            current=money_days.total("amount", period),
            previous=money_days.total("amount", before),
            higher_is_better=None,
            weekly=list(money_days.weekly("amount")),
            detail=_("duties, taxes and fees booked to revenue, in %(currency)s") % {"currency": currency},
        )
    )

    # Controls completed and their hit rate (non-compliant share).
    controls = _Days(period, before)
    for row in (
        ControlTask.objects.filter(status=ControlStatus.DONE, completed_at__gte=start, completed_at__lt=end)
        .annotate(day=TruncDate("completed_at"))
        .values("day")
        .annotate(done=Count("pk"), hits=Count("pk", filter=Q(outcome=ControlOutcome.NON_COMPLIANT)))
        .order_by()
    ):
        controls.add(_day(row["day"]), done=row["done"], hits=row["hits"])
    done_now = controls.total("done", period)
    kpis.append(
        Kpi(
            key="controls",
            label=_("Controls completed"),
            unit="count",
            current=done_now,
            previous=controls.total("done", before),
            higher_is_better=None,
            weekly=list(controls.weekly("done")),
            detail=_("documentary checks and physical inspections"),
        )
    )
    kpis.append(
        Kpi(
            key="hit_rate",
            label=_("Hit rate of controls"),
            unit="percent",
            current=_ratio(controls.total("hits", period), done_now),
            previous=_ratio(controls.total("hits", before), controls.total("done", before)),
            higher_is_better=True,
            weekly=_ratio_weekly(controls, "hits", "done"),
            detail=_("%(hits)s of %(done)s controls found non-compliant")
            % {"hits": int(controls.total("hits", period)), "done": int(done_now)},
        )
    )

    # Coordinated inspections: joint inspections completed, and those more than one agency attended.
    joint = _Days(period, before)
    for row in (
        JointInspection.objects.filter(
            status=InspectionStatus.COMPLETED, completed_at__gte=start, completed_at__lt=end
        )
        .annotate(day=TruncDate("completed_at"), agencies=Count("findings__agency", distinct=True))
        .values("day", "agencies")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        several = row["n"] if row["agencies"] > 1 else 0
        joint.add(_day(row["day"]), done=row["n"], coordinated=several)
    kpis.append(
        Kpi(
            key="joint_inspections",
            label=_("Joint inspections"),
            unit="count",
            current=joint.total("done", period),
            previous=joint.total("done", before),
            higher_is_better=None,
            weekly=list(joint.weekly("done")),
            detail=_("%(n)s attended by more than one agency")
            % {"n": int(joint.total("coordinated", period))},
        )
    )

    # Service requests answered within their service level (those due in the period, by now, that
    # were owed an answer).
    now = timezone.now()
    requests = _Days(period, before)
    for row in (
        ServiceRequest.objects.filter(due_at__gte=start, due_at__lt=min(end, now))
        .owed_an_answer()
        .annotate(day=TruncDate("due_at"))
        .values("day")
        .annotate(due=Count("pk"), on_time=Count("pk", filter=ANSWERED_ON_TIME))
        .order_by()
    ):
        requests.add(_day(row["day"]), due=row["due"], on_time=row["on_time"])
    due_now = requests.total("due", period)
    kpis.append(
        Kpi(
            key="service_requests",
            label=_("Service requests answered on time"),
            unit="percent",
            current=_ratio(requests.total("on_time", period), due_now),
            previous=_ratio(requests.total("on_time", before), requests.total("due", before)),
            higher_is_better=True,
            weekly=_ratio_weekly(requests, "on_time", "due"),
            detail=_("%(on_time)s of %(due)s requests due in the period")
            % {"on_time": int(requests.total("on_time", period)), "due": int(due_now)},
        )
    )

    # User satisfaction: the one question offered after release (1 to 5).
    ratings = _Days(period, before)
    for row in (
        SatisfactionRating.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("pk"), points=Sum("score"), happy=Count("pk", filter=Q(score__gte=4)))
        .order_by()
    ):
        ratings.add(_day(row["day"]), n=row["n"], points=row["points"], happy=row["happy"])

    def mean(period_: Period) -> float | None:
        n = ratings.total("n", period_)
        return round(ratings.total("points", period_) / n, 2) if n else None

    rated = ratings.total("n", period)
    kpis.append(
        Kpi(
            key="satisfaction",
            label=_("User satisfaction"),
            unit="score",
            current=mean(period),
            previous=mean(before),
            higher_is_better=True,
            weekly=[
                round(p / n, 2) if n else None
                for p, n in zip(ratings.weekly("points"), ratings.weekly("n"), strict=True)
            ],
            detail=_("average of %(n)s ratings out of 5; %(share)s rated 4 or 5")
            % {"n": int(rated), "share": _percent_text(_ratio(ratings.total("happy", period), rated))},
        )
    )

    # Failures: deliveries that gave up, lodgements rejected; the outbox backlog now.
    failure_days, rows = _failures(span=span, period=period, before=before, now=now)
    kpis.append(
        Kpi(
            key="failures",
            label=_("Failures"),
            unit="count",
            current=failure_days.total("n", period),
            previous=failure_days.total("n", before),
            higher_is_better=False,
            weekly=list(failure_days.weekly("n")),
            detail=_("failed deliveries and rejected lodgements"),
        )
    )
    return Scorecard(
        period=period,
        previous=before,
        kpis=kpis,
        processing=_processing_rows(stages, period, before),
        failures=rows,
        currency=currency,
        weeks=weeks_of(period),
    )


def _duration_or_dash(seconds: float | None) -> str:
    return duration_text(seconds)


def _percent_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def _processing_rows(
    stages: dict[tuple[str, str, str], dict[date, tuple[int, list[int]]]], period: Period, before: Period
) -> list[ProcessingRow]:
    rows = []
    for (stage, dimension, key), days in stages.items():
        if stage != Stage.ROUTING or dimension != Dimension.TYPE:
            continue
        count = _count(days, period)
        if not count and not _count(days, before):
            continue
        rows.append(
            ProcessingRow(
                declaration_type=key or "–",
                count=count,
                p50=_percentile(days, period.first, period.last, 50),
                p95=_percentile(days, period.first, period.last, 95),
                previous_p50=_percentile(days, before.first, before.last, 50),
            )
        )
    return sorted(rows, key=lambda r: (-r.count, r.declaration_type))


def _failures(
    *, span: Period, period: Period, before: Period, now: datetime
) -> tuple[_Days, list[FailureRow]]:
    """Per source, failures per day over both periods (one GROUP BY each); the outbox backlog now."""
    start, end = span.start, span.end
    days = _Days(period, before)
    sources: Iterable[tuple[Any, str, Any]] = (
        (
            gettext_lazy("Webhook deliveries to agencies failed"),
            "created_at",
            WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED),
        ),
        (
            gettext_lazy("Responses to traders' systems failed"),
            "created_at",
            ResponseDelivery.objects.filter(status=ResponseDeliveryStatus.FAILED),
        ),
        (
            gettext_lazy("Lodgements rejected"),
            "issued_at",
            DeclarationResponse.objects.filter(kind=ResponseKind.REJECTED),
        ),
    )
    rows = []
    for label, column, queryset in sources:
        per = _Days(period, before)
        for row in (
            queryset.filter(**{f"{column}__gte": start, f"{column}__lt": end})
            .annotate(day=TruncDate(column))
            .values("day")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            per.add(_day(row["day"]), n=row["n"])
            days.add(_day(row["day"]), n=row["n"])
        rows.append(
            FailureRow(
                label=str(label), current=int(per.total("n", period)), previous=int(per.total("n", before))
            )
        )
    stuck = OutboxMessage.objects.filter(published_at__isnull=True, created_at__lt=now - OUTBOX_STUCK).count()
    rows.append(
        FailureRow(
            label=_("Outbox messages unpublished for over 10 minutes (now)"), current=stuck, previous=None
        )
    )
    return days, rows
