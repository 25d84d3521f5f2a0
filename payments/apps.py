from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Duties and payments")

    def ready(self) -> None:
        """Fill the payment section of the declaration's API answer; refund what a cancelled or
        invalidated declaration paid; mail the notices of guarantees and deferment accounts; after a
        payment, mark the statements it paid and fit its declarations' securities; warn at lodgement
        when the estimated duties exceed the headroom; register the payment providers' checks; show
        the assessment and the money box on the declaration page."""
        from declarations.amendments import TOPIC_CANCELLED, TOPIC_REQUEST_DECIDED
        from declarations.panels import register_detail_panel, register_detail_section
        from declarations.selectors import register_timeline_source
        from declarations.validation import register_advisor
        from singlewindow.outbox import register_handler

        from . import checks, statement_tasks, tasks  # noqa: F401 (checks register themselves)
        from .api.sections import assessment_section, payment_section
        from .assessment_panel import assessment_panel
        from .facilities import TOPIC_FACILITY_NOTICE, headroom_warnings
        from .panels import money_panel
        from .payments import TOPIC_PAYMENT_SETTLED
        from .timeline import payment_events

        register_detail_section("payment", payment_section)
        register_detail_section("assessment", assessment_section)
        register_timeline_source(payment_events)
        register_handler(TOPIC_CANCELLED, tasks.on_declaration_cancelled)
        register_handler(TOPIC_REQUEST_DECIDED, tasks.on_request_decided)
        register_handler(TOPIC_FACILITY_NOTICE, statement_tasks.on_facility_notice)
        register_handler(TOPIC_PAYMENT_SETTLED, statement_tasks.on_payment_settled)
        register_handler(TOPIC_PAYMENT_SETTLED, tasks.on_payment_settled)
        register_advisor(headroom_warnings)
        register_detail_panel(assessment_panel)
        register_detail_panel(money_panel)
