"""Trade statistics, pre-aggregated: per month, direction, HS chapter and country of origin.

Imported by ``insights.models`` (Django finds an app's models there).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TradeMonthly(models.Model):
    """Released declarations' goods items of one month (of acceptance), direction, HS chapter
    (first two digits of the commodity code) and origin (``""`` when not declared).

    Rewritten set-based, a month at a time (``statistics.trade_monthly_refresh``): the pages and the
    open data read these few thousand rows, never the goods items. No trader is identifiable from
    it: counts and sums only.
    """

    month = models.DateField(_("month"))  # the first of the month
    direction = models.CharField(_("direction"), max_length=10)
    hs_chapter = models.CharField(_("HS chapter"), max_length=2)
    origin = models.CharField(_("country of origin"), max_length=2, blank=True)
    declarations = models.PositiveIntegerField(_("declarations"), default=0)
    # Distinct trader accounts: the open data publishes a cell only when enough traders make it up.
    traders = models.PositiveIntegerField(_("traders"), default=0)
    items = models.PositiveIntegerField(_("goods items"), default=0)
    statistical_value = models.DecimalField(
        _("statistical value"), max_digits=22, decimal_places=3, default=0
    )
    net_mass = models.DecimalField(_("net mass (kg)"), max_digits=22, decimal_places=3, default=0)
    refreshed_at = models.DateTimeField(_("refreshed"))

    class Meta:
        verbose_name = _("trade statistics per month")
        verbose_name_plural = _("trade statistics per month")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "direction", "hs_chapter", "origin"], name="trade_monthly_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.direction} {self.hs_chapter} {self.origin}"
