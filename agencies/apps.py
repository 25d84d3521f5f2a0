from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Agencies")

    def ready(self) -> None:
        """Wire agencies into declarations' read hooks and the outbox (declarations never imports us)."""
        from singlewindow.outbox import register_handler

        from . import selectors, services, tasks

        selectors.register_declaration_hooks()
        register_handler(services.TOPIC_DELIVERY_SEND, tasks.webhook_enqueue)
