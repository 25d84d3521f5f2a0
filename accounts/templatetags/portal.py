"""Template helpers for the portal's page frame (header identity, status tags)."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.access import accounts_member_of
from accounts.models import ROLE_LABELS

register = template.Library()


@register.simple_tag(takes_context=True)
def portal_identity(context: template.Context) -> dict[str, Any]:
    """Who is signed in, in what role and for which trader accounts: two queries, once per page."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return {}
    role = user.role
    accounts = list(accounts_member_of(user))
    return {
        "name": user.get_full_name() or user.get_username(),
        "role": ROLE_LABELS.get(role, "") if role else "",
        "accounts": accounts,
    }
