from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks as django_checks

        from . import (
            checks,  # noqa: F401  (registers the deployment checks)
            signals,  # noqa: F401  (connects the sign-in audit receivers)
        )
        from .middleware import session_started
        from .two_factor import check_required_roles, on_user_logged_in

        user_logged_in.connect(session_started, dispatch_uid="accounts.session_started")
        user_logged_in.connect(on_user_logged_in, dispatch_uid="accounts.two_factor.enrolment")
        django_checks.register(check_required_roles)


class PortalAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with a site that also asks for a verified second factor."""

    default = False  # installed by its path; AccountsConfig stays the app's own config

    default_site = "accounts.admin_site.PortalAdminSite"
