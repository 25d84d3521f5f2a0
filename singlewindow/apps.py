from django.apps import AppConfig


class SingleWindowConfig(AppConfig):
    name = "singlewindow"
    verbose_name = "Single window infrastructure"

    def ready(self) -> None:
        from django.contrib import admin

        from .admin import audit_every_admin

        # The admin app (first in INSTALLED_APPS) has registered every admin by now.
        audit_every_admin(admin.site)
