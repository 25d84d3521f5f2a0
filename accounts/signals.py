"""Signing in and out leaves audit events: who, from which address; a failed attempt the
username tried (never the password: Django's signal carries the credentials with it masked)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from singlewindow.audit import audit_log

from . import security

USERNAME_LIMIT = 150  # a long "username" is stored cut, not refused


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the sign-in lockout sees it (``X-Forwarded-For`` only as far as
    ``SW_TRUSTED_PROXY_COUNT`` of our own proxies wrote it)."""
    if request is None:
        return None
    return security.client_ip(request) or None


@receiver(user_logged_in, dispatch_uid="singlewindow.audit.user_logged_in")
def audit_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_log(action="accounts.user.logged_in", obj=user, actor=user, data={"ip": client_ip(request)})


@receiver(user_logged_out, dispatch_uid="singlewindow.audit.user_logged_out")
def audit_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None or not getattr(user, "pk", None):
        return  # signing out without being signed in changes nothing
    audit_log(action="accounts.user.logged_out", obj=user, actor=user, data={"ip": client_ip(request)})


@receiver(user_login_failed, dispatch_uid="singlewindow.audit.user_login_failed")
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    User = get_user_model()  # noqa: N806 - the model
    tried = credentials.get(User.USERNAME_FIELD) or credentials.get("username") or ""
    tried = str(tried)[:USERNAME_LIMIT]
    user = User._default_manager.filter(**{User.USERNAME_FIELD: tried}).first() if tried else None
    audit_log(
        action="accounts.user.login_failed",
        obj=user,
        object_type=User._meta.label_lower,
        data={"username": tried, "ip": client_ip(request)},
    )
