"""Who may see and change watchlists, the AEO register and the risk dashboard.

Watchlists: agency officers, customs supervisors and administrators see every entry (every agency
contributes); an officer adds and removes entries for its own agencies, a supervisor for customs.
The AEO register and the dashboard: customs supervisors and administrators. Everyone else (traders,
brokers, cashiers) gets the same 404 as a page that does not exist.
"""

from __future__ import annotations

from django.http import Http404

from accounts.models import Role, User
from agencies.access import agencies_of
from agencies.models import Agency
from agencies.routing import customs_agency

from ..models import WatchlistEntry


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def sees_watchlists(user: User) -> bool:
    return _active(user) and user.role in (Role.OFFICER, Role.SUPERVISOR, Role.ADMIN)


def sees_oversight(user: User) -> bool:
    """The AEO register and the risk dashboard: customs supervisors and administrators."""
    return _active(user) and user.role in (Role.SUPERVISOR, Role.ADMIN)


def require_watchlists(user: User) -> User:
    if not sees_watchlists(user):
        raise Http404("No such page.")
    return user


def require_oversight(user: User) -> User:
    if not sees_oversight(user):
        raise Http404("No such page.")
    return user


def watchlist_agencies_of(user: User) -> list[Agency]:
    """The agencies the user adds and removes watchlist entries for: an officer's own (active)
    agencies, customs for a supervisor; none for anyone else (administrators only read)."""
    if not _active(user):
        return []
    if user.role is Role.OFFICER:
        return list(agencies_of(user).order_by("name"))
    if user.role is Role.SUPERVISOR:
        return [customs_agency()]
    return []


def may_remove(user: User, entry: WatchlistEntry, agency_ids: set[int]) -> bool:
    return entry.removed_at is None and entry.agency_id in agency_ids


def access_watchlist_entry_to_remove(user: User, entry_id: int | str) -> WatchlistEntry:
    """An active entry of one of the user's agencies; the same 404 for missing, removed, another
    agency's, or a user who may not remove entries at all."""
    try:
        pk = int(entry_id)
    except (TypeError, ValueError):
        raise Http404("No such entry.") from None
    if not sees_watchlists(user) or not 0 < pk < 2**63:
        raise Http404("No such entry.")
    agency_ids = [agency.pk for agency in watchlist_agencies_of(user)]
    entry = (
        WatchlistEntry.objects.filter(pk=pk, agency_id__in=agency_ids, removed_at__isnull=True)
        .select_related("agency", "added_by", "trader_account")
        .first()
    )
    if entry is None:
        raise Http404("No such entry.")
    return entry
