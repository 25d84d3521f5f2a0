"""Who may see the Time Release Study: customs supervisors and administrators.

Everyone else signed in (traders, brokers, agency officers, cashiers) gets the same 404 as a page
that does not exist, as for the risk dashboard. The open data (``/insights/open-data/``) is public.
"""

from __future__ import annotations

from django.http import Http404

from accounts.models import Role, User


def sees_insights(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in (Role.SUPERVISOR, Role.ADMIN))


def require_insights(user: User) -> User:
    if not sees_insights(user):
        raise Http404("No such page.")
    return user
