from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClearanceConfig(AppConfig):
    name = "clearance"
    verbose_name = _("Clearance")

    def ready(self) -> None:
        """Listen to the outbox: accepted declarations are routed, decided reviews and settled
        payments consolidated; add the clearance panel to the declaration page."""
        from django.db.models.signals import post_delete, post_save

        from agencies.panels import register_review_panel
        from agencies.services import TOPIC_REVIEW_DECIDED
        from declarations.amendments import TOPIC_AMENDED, TOPIC_CANCELLED, TOPIC_REQUEST_DECIDED
        from declarations.panels import register_detail_panel, register_detail_section
        from declarations.services import TOPIC_ACCEPTED
        from payments.payments import TOPIC_PAYMENT_SETTLED
        from singlewindow.outbox import register_handler

        from . import tasks
        from .audits.panels import audit_panel
        from .models import RiskRule, RiskSettings
        from .panels import declaration_panel, review_inspection_panel
        from .risk.cache import risk_cache_reset
        from .risk.panels import risk_panel
        from .risk.selectors import risk_section

        for model in (RiskRule, RiskSettings):
            post_save.connect(risk_cache_reset, sender=model, dispatch_uid=f"risk-{model.__name__}")
            post_delete.connect(risk_cache_reset, sender=model, dispatch_uid=f"risk-del-{model.__name__}")

        register_handler(TOPIC_ACCEPTED, tasks.on_declaration_accepted)
        register_handler(TOPIC_REVIEW_DECIDED, tasks.on_review_decided)
        register_detail_panel(declaration_panel)
        register_review_panel(review_inspection_panel)
        register_detail_panel(risk_panel)
        register_detail_panel(audit_panel)
        register_detail_section("risk", risk_section)
        register_handler(TOPIC_AMENDED, tasks.on_declaration_amended)
        register_handler(TOPIC_CANCELLED, tasks.on_declaration_cancelled)
        register_handler(TOPIC_REQUEST_DECIDED, tasks.on_request_decided)
        register_handler(TOPIC_PAYMENT_SETTLED, tasks.on_payment_settled)
