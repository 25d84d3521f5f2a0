from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Duties and payments")

    def ready(self) -> None:
        """Fill the payment section of the declaration's API answer; refund what a cancelled or
        invalidated declaration paid."""
        from declarations.amendments import TOPIC_CANCELLED, TOPIC_REQUEST_DECIDED
        from declarations.panels import register_detail_section
        from singlewindow.outbox import register_handler

        from . import tasks
        from .api.sections import payment_section

        register_detail_section("payment", payment_section)
        register_handler(TOPIC_CANCELLED, tasks.on_declaration_cancelled)
        register_handler(TOPIC_REQUEST_DECIDED, tasks.on_request_decided)
