from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Agencies")

    def ready(self) -> None:
        """Wire agencies into declarations' read hooks and the outbox (declarations never imports us)."""
        from django.db.models.signals import post_delete, post_save

        from singlewindow.outbox import register_handler

        from . import routing, selectors, services, tasks
        from .models import Agency, RoutingRule

        selectors.register_declaration_hooks()
        # This process sees its own edits of rules and agencies at once; others through the stamp.
        for model in (Agency, RoutingRule):
            post_save.connect(
                routing.routing_cache_reset, sender=model, dispatch_uid=f"routing-{model.__name__}"
            )
            post_delete.connect(
                routing.routing_cache_reset, sender=model, dispatch_uid=f"routing-del-{model.__name__}"
            )
        register_handler(services.TOPIC_DELIVERY_SEND, tasks.webhook_enqueue)

        # General workers consume every agency's delivery queue, also those onboarded later.
        from singlewindow.celery import app

        from .worker import AgencyQueues

        app.steps["consumer"].add(AgencyQueues)
