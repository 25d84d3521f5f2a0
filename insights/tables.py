"""The Time Release Study's tables and charts for a period: what the pages show and the CSV files
export. One ``Table`` feeds both, so a CSV file has exactly the rows and numbers of its table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import charts, selectors
from .models import DECLARATION_STAGES, REVIEW_STAGES, SEQUENTIAL_STAGES, Dimension, Stage
from .selectors import StageRow
from .templatetags.time_release import duration

COUNT, DURATION = "count", "duration"
WHERE_ROWS = 10  # bars in a "where the time goes" chart; the table has every row
# The breakdown pages, in the order of their tabs.
BREAKDOWNS = (Dimension.AGENCY, Dimension.LANE, Dimension.TYPE, Dimension.OFFICE, Dimension.DIRECTION)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # COUNT | DURATION


@dataclass(frozen=True)
class Table:
    name: str  # in the CSV's URL and file name
    title: str  # the section's heading
    caption: str
    head: str  # the first column's name
    columns: list[Column]
    rows: list[tuple[str, list[float | int | None]]]

    def html_rows(self) -> list[tuple[str, list[str]]]:
        return [
            (label, [_cell(c.kind, v) for c, v in zip(self.columns, values, strict=True)])
            for label, values in self.rows
        ]

    def csv_header(self) -> list[str]:
        return [
            self.head,
            *(f"{c.name} ({_('seconds')})" if c.kind == DURATION else c.name for c in self.columns),
        ]

    def csv_rows(self) -> list[list[str]]:
        return [[label, *("" if v is None else str(round(v)) for v in values)] for label, values in self.rows]


def _cell(kind: str, value: float | int | None) -> str:
    if kind == COUNT:
        return f"{int(value or 0):,}"
    return duration(value)


def _stats_columns() -> list[Column]:
    return [
        Column(_("Declarations"), COUNT),
        Column(pgettext("percentile", "Median (p50)"), DURATION),
        Column("p90", DURATION),
        Column("p95", DURATION),
        Column(_("Mean"), DURATION),
    ]


def _stats(row: StageRow) -> list[float | int | None]:
    return [row.count, row.p50, row.p90, row.p95, row.mean]


@dataclass(frozen=True)
class Figures:
    tables: dict[str, Table]
    where_chart: SafeString | None
    trend_chart: SafeString | None
    total: StageRow | None


def _where(
    *, name: str, caption: str, head: str, labels: list[str], rows: list[dict[str, StageRow]]
) -> tuple[Table, SafeString]:
    """Mean time per stage one after the other, per row: the table and its chart."""
    stage_names = [str(Stage(s).label) for s in SEQUENTIAL_STAGES]
    table = Table(
        name=name,
        title=_("Where the time goes"),
        caption=caption,
        head=head,
        columns=[
            Column(_("Declarations"), COUNT),
            *(Column(n, DURATION) for n in stage_names),
            Column(_("Mean release time"), DURATION),
        ],
        rows=[
            (label, [r[Stage.TOTAL].count, *(r[s].mean for s in SEQUENTIAL_STAGES), r[Stage.TOTAL].mean])
            for label, r in zip(labels, rows, strict=True)
        ],
    )
    bars = [
        charts.Bar(label=label, values=[r[s].mean or 0.0 for s in SEQUENTIAL_STAGES])
        for label, r in list(zip(labels, rows, strict=True))[:WHERE_ROWS]
        if r[Stage.TOTAL].count
    ]
    chart = charts.where_time_goes(
        id=f"chart-{name}",
        title=caption,
        desc=_(
            "Horizontal bars, one per row of the table that follows: the mean time of each stage, one "
            "after the other; the whole bar is the mean time from lodgement to release."
        ),
        names=stage_names,
        bars=bars,
    )
    return table, chart


def overview(*, start: date, end: date, filters: dict[str, str]) -> Figures:
    stages = selectors.stages_overview(
        start=start, end=end, stages=[*DECLARATION_STAGES, *REVIEW_STAGES], filters=filters
    )
    stage_table = Table(
        name="stages",
        title=_("Time per stage"),
        caption=_("Time per stage, declarations released in the period"),
        head=_("Stage"),
        columns=_stats_columns(),
        rows=[(row.label, _stats(row)) for row in stages],
    )
    by_stage = {row.stage: row for row in stages}
    lanes = selectors.stage_breakdown(
        start=start,
        end=end,
        stages=[*SEQUENTIAL_STAGES, Stage.TOTAL],
        dimension=Dimension.LANE,
        filters=filters,
    )
    labels = [_("All declarations"), *(next(iter(r.values())).label for r in lanes.values())]
    rows = [by_stage, *lanes.values()]
    where, where_chart = _where(
        name="where",
        caption=_("Where the time goes: mean time per stage, all declarations and per lane"),
        head=_("Lane"),
        labels=labels,
        rows=rows,
    )
    points = selectors.stage_trend(start=start, end=end, stage=Stage.TOTAL, period="week", filters=filters)
    trend = Table(
        name="trend",
        title=_("Trend"),
        caption=_("Release time per week (weeks start on Monday)"),
        head=_("Week"),
        columns=[
            Column(_("Declarations"), COUNT),
            Column(pgettext("percentile", "Median (p50)"), DURATION),
            Column("p95", DURATION),
            Column(_("Mean"), DURATION),
        ],
        rows=[(p.start.isoformat(), [p.count, p.p50, p.p95, p.mean]) for p in points],
    )
    trend_chart = charts.trend_lines(
        id="chart-trend",
        title=_("Release time per week: median and 95th percentile"),
        desc=_("Two lines over the weeks of the period; the table that follows has the same numbers."),
        weeks=[p.start for p in points],
        p50=[p.p50 for p in points],
        p95=[p.p95 for p in points],
    )
    return Figures(
        tables={t.name: t for t in (stage_table, where, trend)},
        where_chart=where_chart,
        trend_chart=trend_chart,
        total=by_stage.get(Stage.TOTAL),
    )


def breakdown(*, dimension: str, start: date, end: date, filters: dict[str, str]) -> Figures:
    head = str(Dimension(dimension).label)
    per_key = selectors.stage_breakdown(
        start=start, end=end, stages=[*SEQUENTIAL_STAGES, Stage.TOTAL], dimension=dimension, filters=filters
    )
    labels = [next(iter(r.values())).label for r in per_key.values()]
    rows = list(per_key.values())
    totals = Table(
        name="release",
        title=_("Release time"),
        caption=_("Release time (lodgement to release) per %(dimension)s") % {"dimension": head.lower()},
        head=head,
        columns=_stats_columns(),
        rows=[(label, _stats(r[Stage.TOTAL])) for label, r in zip(labels, rows, strict=True)],
    )
    where, where_chart = _where(
        name="where",
        caption=_("Where the time goes per %(dimension)s: mean time per stage") % {"dimension": head.lower()},
        head=head,
        labels=labels,
        rows=rows,
    )
    tables = [totals, where]
    if dimension == Dimension.AGENCY:
        reviews = selectors.stage_breakdown(
            start=start, end=end, stages=list(REVIEW_STAGES), dimension=dimension, filters=filters
        )
        tables.insert(
            0,
            Table(
                name="reviews",
                title=_("Agency reviews"),
                caption=_("Each agency's review: opened to decided, and the same less waiting on the trader"),
                head=head,
                columns=[
                    Column(_("Reviews"), COUNT),
                    Column(_("Median (p50)"), DURATION),
                    Column("p95", DURATION),
                    Column(_("Mean"), DURATION),
                    Column(_("Median, less waiting on the trader"), DURATION),
                    Column(_("p95, less waiting on the trader"), DURATION),
                    Column(_("Mean, less waiting on the trader"), DURATION),
                ],
                rows=[
                    (
                        r[Stage.AGENCY].label,
                        [
                            r[Stage.AGENCY].count,
                            r[Stage.AGENCY].p50,
                            r[Stage.AGENCY].p95,
                            r[Stage.AGENCY].mean,
                            r[Stage.AGENCY_NET].p50,
                            r[Stage.AGENCY_NET].p95,
                            r[Stage.AGENCY_NET].mean,
                        ],
                    )
                    for r in reviews.values()
                ],
            ),
        )
    return Figures(tables={t.name: t for t in tables}, where_chart=where_chart, trend_chart=None, total=None)


def table_names(dimension: str | None) -> Sequence[str]:
    if dimension is None:
        return ("stages", "where", "trend")
    return ("reviews", "release", "where") if dimension == Dimension.AGENCY else ("release", "where")
