"""Who works for which agency; the only module of this app that imports ``guardian.shortcuts``."""

from __future__ import annotations

from django.db.models import QuerySet
from guardian.shortcuts import assign_perm, get_objects_for_user

from accounts.models import User

from .models import PERM_OFFICER, Agency


def agencies_of(user: User) -> QuerySet[Agency]:
    return get_objects_for_user(
        user,
        f"agencies.{PERM_OFFICER}",
        klass=Agency.objects.filter(is_active=True),
        with_superuser=False,
        accept_global_perms=False,
    )


def agency_add_officer(*, agency: Agency, user: User) -> None:
    assign_perm(PERM_OFFICER, user, agency)


def is_officer_of(user: User, agency: Agency | int) -> bool:
    """Whether the user works the review queue of ``agency`` (an active agency)."""
    agency_id = agency if isinstance(agency, int) else agency.pk
    return agencies_of(user).filter(pk=agency_id).exists()
