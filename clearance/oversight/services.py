"""Writes of oversight: watchlist entries added and removed, a trader account's AEO authorisation.

Each writes its audit event in the same transaction. Entries are never deleted: removal records
who, when and why, and the entry stays in the list of removed entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AeoTier, TraderAccount, User
from agencies.models import AEO_PRIORITY, OPEN_STATUSES, Agency, AgencyReview
from singlewindow.audit import audit_diff, audit_log
from singlewindow.errors import DomainError, NotFound

from ..models import WatchlistEntry
from .access import watchlist_agencies_of


def _party_key(eori: str, name: str) -> Q:
    """The same party on one agency's list: the same EORI, or the same name where there is none."""
    return Q(eori=eori) if eori else Q(eori="", name__iexact=name)


@transaction.atomic(durable=True)
def watchlist_add(
    *,
    user: User,
    agency: Agency,
    eori: str,
    name: str,
    reason: str,
    valid_until: date | None = None,
) -> WatchlistEntry:
    """Put a trader or party on ``agency``'s watchlist; audited (``clearance.watchlist.added``).

    ``user`` must add for one of its agencies (``watchlist_agencies_of``: an officer's own, customs
    for a supervisor), else ``not_found``. The EORI (upper case) links the entry to the trader
    account holding it. Refused: no EORI nor name, no reason, a validity already past, and an
    active entry of the same agency for the same party (``watchlist_duplicate``). The agency's
    row is locked while checking, so two officers adding the same party at once add it once.
    """
    eori, name, reason = eori.strip().upper(), name.strip(), reason.strip()
    if agency.pk not in {a.pk for a in watchlist_agencies_of(user)}:
        raise NotFound(_("No such agency."))
    if not eori and not name:
        raise DomainError(
            "watchlist_party_missing",
            _("Give the EORI or party identifier, or the name of the party."),
            errors=[
                {
                    "pointer": "eori",
                    "code": "watchlist_party_missing",
                    "message": _("Give the EORI or party identifier, or the name of the party."),
                }
            ],
        )
    if not reason:
        raise DomainError(
            "reason_required",
            _("Say why the party is on the watchlist."),
            errors=[
                {
                    "pointer": "reason",
                    "code": "reason_required",
                    "message": _("Say why the party is on the watchlist."),
                }
            ],
        )
    today = timezone.localdate()
    if valid_until is not None and valid_until < today:
        message = _("The end of validity cannot be in the past.")
        raise DomainError(
            "watchlist_valid_until_past",
            message,
            errors=[{"pointer": "valid_until", "code": "watchlist_valid_until_past", "message": message}],
        )
    # Two adds of the same party at once: the second waits here, then sees the first's entry.
    Agency.objects.select_for_update().filter(pk=agency.pk).values_list("pk", flat=True).get()
    duplicate = (
        WatchlistEntry.objects.filter(agency=agency, removed_at__isnull=True)
        .filter(_party_key(eori, name))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .exists()
    )
    if duplicate:
        message = _("This party is already on %(agency)s's watchlist.") % {"agency": agency.name}
        raise DomainError(
            "watchlist_duplicate",
            message,
            errors=[
                {"pointer": "eori" if eori else "name", "code": "watchlist_duplicate", "message": message}
            ],
            status=409,
        )
    account = TraderAccount.objects.filter(eori=eori).first() if eori else None
    entry = WatchlistEntry.objects.create(
        eori=eori,
        name=name or (account.name if account else ""),
        trader_account=account,
        agency=agency,
        reason=reason,
        added_by=user,
        valid_until=valid_until,
    )
    audit_log(
        action="clearance.watchlist.added",
        obj=entry,
        actor=user,
        data={
            "agency": agency.code,
            "eori": entry.eori,
            "name": entry.name,
            "trader_account": account.pk if account else None,
            "reason": reason,
            "valid_until": valid_until.isoformat() if valid_until else None,
        },
    )
    return entry


@transaction.atomic(durable=True)
def watchlist_remove(*, user: User, entry_id: int, reason: str) -> WatchlistEntry:
    """Take an entry off its agency's watchlist (kept, with who, when and why); audited
    (``clearance.watchlist.removed``). Only for the user's own agencies (else ``not_found``, as for
    an entry that does not exist or was removed already: a compare-and-set on ``removed_at``)."""
    reason = reason.strip()
    if not reason:
        message = _("Say why the entry is removed.")
        raise DomainError(
            "reason_required",
            message,
            errors=[{"pointer": "reason", "code": "reason_required", "message": message}],
        )
    agency_ids = [a.pk for a in watchlist_agencies_of(user)]
    now = timezone.now()
    updated = WatchlistEntry.objects.filter(
        pk=entry_id, agency_id__in=agency_ids, removed_at__isnull=True
    ).update(removed_at=now, removed_by=user, removal_reason=reason)
    if not updated:
        raise NotFound(_("No such watchlist entry."))
    entry = WatchlistEntry.objects.select_related("agency").get(pk=entry_id)
    audit_log(
        action="clearance.watchlist.removed",
        obj=entry,
        actor=user,
        data={"agency": entry.agency.code, "eori": entry.eori, "name": entry.name, "reason": reason},
    )
    return entry


# --- AEO --------------------------------------------------------------------------------------

AEO_FIELDS = ("aeo_tier", "aeo_reference", "aeo_valid_from", "aeo_valid_until")


@dataclass(frozen=True)
class AeoAuthorisation:
    tier: str  # "" withdraws the authorisation
    reference: str = ""
    valid_from: date | None = None
    valid_until: date | None = None


def aeo_errors(value: AeoAuthorisation) -> list[dict[str, str]]:
    """What is wrong with an authorisation (each error with the form field it concerns)."""
    errors: list[dict[str, str]] = []

    def add(pointer: str, code: str, message: str) -> None:
        errors.append({"pointer": pointer, "code": code, "message": message})

    if value.tier and value.tier not in AeoTier.values:
        add("aeo_tier", "aeo_tier_unknown", _("Choose an AEO tier from the list."))
    if value.tier:
        if not value.reference.strip():
            add("aeo_reference", "aeo_reference_required", _("Enter the authorisation number."))
        if value.valid_from is None:
            add("aeo_valid_from", "aeo_valid_from_required", _("Enter the date the authorisation starts."))
    elif value.reference.strip() or value.valid_from or value.valid_until:
        add("aeo_tier", "aeo_tier_required", _("Choose the AEO tier the authorisation grants."))
    if value.valid_from and value.valid_until and value.valid_until < value.valid_from:
        add("aeo_valid_until", "aeo_ends_before_start", _("The authorisation cannot end before it starts."))
    return errors


@transaction.atomic(durable=True)
def aeo_set(*, account_id: int, user: User, value: AeoAuthorisation) -> TraderAccount:
    """Record a trader account's AEO tier, authorisation number and validity (tier "" withdraws
    it); audited (``accounts.trader_account.aeo_changed``, the fields before and after) when
    something changed.

    The open reviews of the account's declarations get their queue priority again (AEO valid on
    each declaration's acceptance date), so a grant or a withdrawal reorders the queues at once.
    """
    errors = aeo_errors(value)
    if errors:
        raise DomainError(errors[0]["code"], errors[0]["message"], errors=errors)
    account = TraderAccount.objects.select_for_update().filter(pk=account_id).first()
    if account is None:
        raise NotFound(_("No such trader account."))
    before = {f: _plain(getattr(account, f)) for f in AEO_FIELDS}
    account.aeo_tier = value.tier
    account.aeo_reference = value.reference.strip() if value.tier else ""
    account.aeo_valid_from = value.valid_from if value.tier else None
    account.aeo_valid_until = value.valid_until if value.tier else None
    after = {f: _plain(getattr(account, f)) for f in AEO_FIELDS}
    if before == after:
        return account
    account.save(update_fields=list(AEO_FIELDS))
    audit_log(
        action="accounts.trader_account.aeo_changed", obj=account, actor=user, data=audit_diff(before, after)
    )
    reviews_reprioritise(account=account)
    return account


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def reviews_reprioritise(*, account: TraderAccount) -> int:
    """Set the queue priority of the account's open reviews from its AEO authorisation on each
    declaration's acceptance date: two updates whatever the number of reviews."""
    open_reviews = AgencyReview.objects.filter(
        declaration__trader_account=account, status__in=OPEN_STATUSES, withdrawn_at__isnull=True
    )
    if not account.aeo_tier:
        return open_reviews.filter(priority__gt=0).update(priority=0)
    in_force = Q()
    if account.aeo_valid_from is not None:
        in_force &= Q(declaration__accepted_at__date__gte=account.aeo_valid_from)
    if account.aeo_valid_until is not None:
        in_force &= Q(declaration__accepted_at__date__lte=account.aeo_valid_until)
    if not in_force:  # no dates: in force whenever accepted
        return open_reviews.exclude(priority=AEO_PRIORITY).update(priority=AEO_PRIORITY)
    # A subquery of ids: an UPDATE cannot join the declaration.
    first = AgencyReview.objects.filter(pk__in=open_reviews.filter(in_force).values("pk"))
    rest = AgencyReview.objects.filter(pk__in=open_reviews.exclude(in_force).values("pk"))
    return first.exclude(priority=AEO_PRIORITY).update(priority=AEO_PRIORITY) + rest.exclude(
        priority=0
    ).update(priority=0)
