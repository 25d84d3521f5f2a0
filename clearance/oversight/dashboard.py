"""The supervisors' risk dashboard: the figures of a period, their charts and their tables.

Three GROUP BY queries whatever the number of assessments (``selectors``); the tables on the page,
in the charts' ``<title>`` elements and in the CSV files are the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from ..models import Lane
from . import charts, selectors
from .selectors import ControlFigures, ControlRate, Period, RuleRate, WeekLanes

TABLES = ("lanes", "rules", "controls", "sample")
RULES_CHARTED = 8  # the chart shows the rules with the highest hit rate; the table, every rule


@dataclass(frozen=True)
class DashboardFigures:
    period: Period
    weeks: list[WeekLanes]
    lane_totals: dict[str, int]
    rules: list[RuleRate]
    controls: ControlFigures
    lanes_chart: SafeString
    rules_chart: SafeString
    controls_chart: SafeString
    sample_chart: SafeString

    @property
    def assessed(self) -> int:
        return sum(self.lane_totals.values())

    @property
    def sample(self) -> list[tuple[str, ControlRate]]:
        return [
            (_("Selected at random (green lane)"), self.controls.random),
            (_("Selected by risk"), self.controls.risk),
        ]


def _rate(value: Decimal | None) -> str:
    return "" if value is None else f"{value:f}"


def _short(name: str, size: int = 14) -> str:
    return name if len(name) <= size else name[: size - 1] + "…"


def lane_label(lane: str) -> str:
    return str(Lane(lane).label)


def dashboard_figures(period: Period) -> DashboardFigures:
    weeks = selectors.lane_mix(period)
    rules = selectors.rule_hit_rates(period)
    controls = selectors.control_figures(period, weeks)
    lane_totals = {lane.value: sum(w.counts[lane.value] for w in weeks) for lane in selectors.LANES}
    first, last = formats.date_format(period.first), formats.date_format(period.last)
    week_labels = [date_format(w.week, "j M") for w in weeks]
    lanes_chart = charts.stacked_bar_chart(
        id="lanes-chart",
        title=_("Declarations per lane and week"),
        desc=_(
            "Stacked bar chart of the declarations assessed each week from %(first)s to %(last)s, by "
            "lane: %(green)s green, %(yellow)s yellow, %(red)s red. The table beside it lists every week."
        )
        % {"first": first, "last": last, **{k: v for k, v in lane_totals.items()}},
        labels=week_labels,
        segments=[
            charts.Segment(
                name=lane_label(lane.value),
                colour=charts.LANE_COLOURS[lane.value],
                values=[w.counts[lane.value] for w in weeks],
            )
            for lane in selectors.LANES
        ],
    )
    charted = rules[:RULES_CHARTED]
    rules_chart = charts.rate_bar_chart(
        id="rules-chart",
        title=_("Hit rate per rule"),
        desc=_(
            "Bar chart of the share of controlled declarations found non-compliant, per risk rule, for "
            "the declarations assessed from %(first)s to %(last)s; the %(n)s rules with the highest rate. "
            "The table beside it lists every rule with its counts."
        )
        % {"first": first, "last": last, "n": len(charted)},
        labels=[_short(r.name) for r in charted],
        rates=[r.rate for r in charted],
    )
    controls_chart = charts.rate_bar_chart(
        id="controls-chart",
        title=_("Non-compliant share per lane"),
        desc=_(
            "Bar chart of the share of controlled declarations found non-compliant in each lane, for the "
            "declarations assessed from %(first)s to %(last)s. The table beside it gives the counts."
        )
        % {"first": first, "last": last},
        labels=[lane_label(c.key) for c in controls.lanes],
        rates=[c.rate for c in controls.lanes],
        colours=[charts.LANE_COLOURS[c.key] for c in controls.lanes],
    )
    sample_chart = charts.rate_bar_chart(
        id="sample-chart",
        title=_("Compliance of the random sample and of the risk-selected"),
        desc=_(
            "Bar chart of the share of controlled declarations found compliant: selected at random out "
            "of the green lane, and selected by their risk score, for the declarations assessed from "
            "%(first)s to %(last)s. The table beside it gives the counts."
        )
        % {"first": first, "last": last},
        labels=[_("At random"), _("By risk")],
        rates=[controls.random.compliance, controls.risk.compliance],
        colours=["#00703c", "#d4351c"],
    )
    return DashboardFigures(
        period=period,
        weeks=weeks,
        lane_totals=lane_totals,
        rules=rules,
        controls=controls,
        lanes_chart=lanes_chart,
        rules_chart=rules_chart,
        controls_chart=controls_chart,
        sample_chart=sample_chart,
    )


def table(figures: DashboardFigures, name: str) -> tuple[list[str], list[list[str]]]:
    """One of the page's tables (``TABLES``) as a header and rows of text, for CSV."""
    if name == "lanes":
        header = [_("Week starting"), *(lane_label(lane.value) for lane in selectors.LANES), _("Total")]
        rows = [
            [w.week.isoformat(), *(str(w.counts[lane.value]) for lane in selectors.LANES), str(w.total)]
            for w in figures.weeks
        ]
        return header, rows
    if name == "rules":
        header = [
            _("Rule"),
            _("Declarations hit"),
            _("Controls completed"),
            _("Non-compliant"),
            _("Hit rate (%)"),
        ]
        rows = [
            [r.name, str(r.hit), str(r.controlled), str(r.non_compliant), _rate(r.rate)]
            for r in figures.rules
        ]
        return header, rows
    if name == "controls":
        header = [
            _("Lane"),
            _("Declarations assessed"),
            _("Controls completed"),
            _("Non-compliant"),
            _("Non-compliant (%)"),
        ]
        rows = [
            [lane_label(c.key), str(c.assessed), str(c.controlled), str(c.non_compliant), _rate(c.rate)]
            for c in figures.controls.lanes
        ]
        return header, rows
    header = [_("Selection"), _("Declarations selected"), _("Controlled"), _("Compliant"), _("Compliant (%)")]
    rows = [
        [label, str(c.assessed), str(c.controlled), str(c.compliant), _rate(c.compliance)]
        for label, c in figures.sample
    ]
    return header, rows
