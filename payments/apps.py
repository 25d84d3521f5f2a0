from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Duties and payments")

    def ready(self) -> None:
        """Fill the payment section of the declaration's API answer."""
        from declarations.panels import register_detail_section

        from .api.sections import payment_section

        register_detail_section("payment", payment_section)
