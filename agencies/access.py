"""Who works for which agency; the only module of this app that imports ``guardian.shortcuts``."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from accounts.models import Role, User
from singlewindow.audit import audit_log

from .models import PERM_OFFICER, Agency, AgencyUserObjectPermission


def agencies_of(user: User) -> QuerySet[Agency]:
    return get_objects_for_user(
        user,
        f"agencies.{PERM_OFFICER}",
        klass=Agency.objects.filter(is_active=True),
        with_superuser=False,
        accept_global_perms=False,
    )


_AGENCY_IDS = "_officer_agency_ids"


def agency_ids_of(user: User) -> list[int]:
    """The ids of the active agencies whose queues the user works, read once per user object.

    The queues filter on these literal ids (``agency_id IN (3)``): PostgreSQL then plans with the
    (agency, status, due_at) index and its statistics for that agency, where the permission
    subquery left it guessing. A request loads the user afresh, so the ids are a request's.
    """
    cached: list[int] | None = user.__dict__.get(_AGENCY_IDS)
    if cached is None:
        cached = sorted(agencies_of(user).values_list("pk", flat=True))
        user.__dict__[_AGENCY_IDS] = cached
    return cached


def _is_officer(agency: Agency, user: User) -> bool:
    return AgencyUserObjectPermission.objects.filter(
        content_object=agency, user=user, permission__codename=PERM_OFFICER
    ).exists()


@transaction.atomic
def agency_add_officer(*, agency: Agency, user: User, actor: User | None = None) -> None:
    """Let ``user`` work ``agency``'s review queue; audited (``agencies.agency.officer_added``)
    when new. ``actor``: who granted it (None: the system, e.g. seeding)."""
    user.__dict__.pop(_AGENCY_IDS, None)
    if _is_officer(agency, user):
        return
    assign_perm(PERM_OFFICER, user, agency)
    audit_log(
        action="agencies.agency.officer_added",
        obj=agency,
        actor=actor,
        data={"user": user.pk, "username": user.get_username()},
    )


@transaction.atomic
def agency_remove_officer(*, agency: Agency, user: User, actor: User | None = None) -> None:
    """Take ``user`` off ``agency``'s review queue; audited when it was an officer there."""
    user.__dict__.pop(_AGENCY_IDS, None)
    if not _is_officer(agency, user):
        return
    remove_perm(PERM_OFFICER, user, agency)
    audit_log(
        action="agencies.agency.officer_removed",
        obj=agency,
        actor=actor,
        data={"user": user.pk, "username": user.get_username()},
    )


def may_decide_for(user: User, agency: Agency | int) -> bool:
    """Whether the user may claim and decide the reviews of ``agency``: an officer (the role) of it.

    The officer permission alone is not enough: a customs supervisor attached to customs (as in
    the demo) decides releases through clearance's override, never customs' own reviews, unless
    it is also given the officer role.
    """
    has_officer_role = any(group.name == Role.OFFICER.value for group in user.groups.all())
    return has_officer_role and is_officer_of(user, agency)


def is_officer_of(user: User, agency: Agency | int) -> bool:
    """Whether the user works the review queue of ``agency`` (an active agency)."""
    agency_id = agency if isinstance(agency, int) else agency.pk
    return agency_id in agency_ids_of(user)  # read once per user object, as the queues do
