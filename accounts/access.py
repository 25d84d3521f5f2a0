"""Who may act for which trader account. The only module that imports ``guardian.shortcuts``."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db.models import QuerySet
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from .models import PERM_MEMBER, PERM_REPRESENT, Role, TraderAccount, User


def accounts_member_of(user: User) -> QuerySet[TraderAccount]:
    """Active accounts the user belongs to."""
    return get_objects_for_user(
        user,
        f"accounts.{PERM_MEMBER}",
        klass=TraderAccount.objects.filter(is_active=True),
        with_superuser=False,
        accept_global_perms=False,
    )


def accounts_actable(user: User) -> QuerySet[TraderAccount]:
    """Active accounts the user may lodge for: its own, and those it is authorised to represent."""
    return get_objects_for_user(
        user,
        [f"accounts.{PERM_MEMBER}", f"accounts.{PERM_REPRESENT}"],
        klass=TraderAccount.objects.filter(is_active=True),
        any_perm=True,
        with_superuser=False,
        accept_global_perms=False,
    )


def account_add_member(*, account: TraderAccount, user: User) -> None:
    assign_perm(PERM_MEMBER, user, account)


def account_remove_member(*, account: TraderAccount, user: User) -> None:
    remove_perm(PERM_MEMBER, user, account)


def account_authorise_representative(*, account: TraderAccount, user: User) -> None:
    """Record that ``user`` (a broker) may lodge on behalf of ``account``."""
    assign_perm(PERM_REPRESENT, user, account)


def account_revoke_representative(*, account: TraderAccount, user: User) -> None:
    """End ``user``'s authority to represent ``account``: it can no longer lodge for the account,
    nor see or act on the declarations it lodged for it (``declarations_visible_to``)."""
    remove_perm(PERM_REPRESENT, user, account)


def user_set_role(*, user: User, role: Role) -> None:
    group, _ = Group.objects.get_or_create(name=role.value)
    user.groups.add(group)
