"""The help desk (service requests from traders, answered within a service level) and the
one-question satisfaction rating offered after release."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Help desk")

    def ready(self) -> None:
        """Add the help desk's panel to the declaration page and its demo requests to seed_demo;
        register the audit actions."""
        from clearance.demo import register_demo_seeder
        from declarations.panels import register_detail_panel

        from . import services  # noqa: F401  (its audit actions' labels)
        from .demo import seed_support_demo
        from .panels import declaration_panel

        register_detail_panel(declaration_panel)
        register_demo_seeder(seed_support_demo)
