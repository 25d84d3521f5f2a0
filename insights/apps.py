"""Time Release Study, service levels, the scorecard and trade statistics: how the border performs.

Reads every app below it; writes only its own pre-aggregated tables.
"""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        """Listen to the outbox: each release decision writes its declaration's facts."""
        from clearance.services import TOPIC_RELEASE_DECIDED
        from singlewindow.outbox import register_handler

        from . import tasks

        register_handler(TOPIC_RELEASE_DECIDED, tasks.on_release_decided)
