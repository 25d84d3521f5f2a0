from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NomenclatureConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "nomenclature"
    verbose_name = _("Tariff nomenclature")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import lookup
        from .models import NomenclatureEdition

        for signal in (post_save, post_delete):
            signal.connect(lambda **kwargs: lookup.editions_reset(), sender=NomenclatureEdition, weak=False)
