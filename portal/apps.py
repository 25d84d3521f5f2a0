from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The top layer: the home page, the page frame and the page parts every app's pages share.

    Nothing imports ``portal``; it may import every other app (``.importlinter``).
    """

    name = "portal"
    verbose_name = _("Portal")
