from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeclarationsConfig(AppConfig):
    name = "declarations"
    verbose_name = _("Declarations")

    def ready(self) -> None:
        """Push DMS responses to traders' endpoints after commit (``declarations.push``)."""
        from singlewindow.outbox import register_handler

        from . import tasks
        from .push import TOPIC_RESPONSE_PUSH

        register_handler(TOPIC_RESPONSE_PUSH, tasks.response_enqueue)
