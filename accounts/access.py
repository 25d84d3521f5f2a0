"""Who may act for which trader account. The only module that imports ``guardian.shortcuts``.

Grants and revocations write an audit event on the account (or the user, for roles) in the same
transaction, with who did it (``actor``).
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from singlewindow.audit import audit_log

from .models import PERM_MEMBER, PERM_REPRESENT, Role, TraderAccount, TraderAccountUserObjectPermission, User


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


def _holds(account: TraderAccount, user: User, codename: str) -> bool:
    return TraderAccountUserObjectPermission.objects.filter(
        content_object=account, user=user, permission__codename=codename
    ).exists()


def _grant_audit(*, action: str, account: TraderAccount, user: User, actor: User | None) -> None:
    audit_log(
        action=action, obj=account, actor=actor, data={"user": user.pk, "username": user.get_username()}
    )


@transaction.atomic
def account_add_member(*, account: TraderAccount, user: User, actor: User | None = None) -> None:
    """Make ``user`` a member of ``account``; audited (``accounts.trader_account.member_added``)
    when it was not one already. ``actor``: who granted it (None: the system, e.g. seeding)."""
    if _holds(account, user, PERM_MEMBER):
        return
    assign_perm(PERM_MEMBER, user, account)
    _grant_audit(action="accounts.trader_account.member_added", account=account, user=user, actor=actor)


@transaction.atomic
def account_remove_member(*, account: TraderAccount, user: User, actor: User | None = None) -> None:
    """End ``user``'s membership of ``account``; audited when there was one."""
    if not _holds(account, user, PERM_MEMBER):
        return
    remove_perm(PERM_MEMBER, user, account)
    _grant_audit(action="accounts.trader_account.member_removed", account=account, user=user, actor=actor)


@transaction.atomic
def account_authorise_representative(
    *, account: TraderAccount, user: User, actor: User | None = None
) -> None:
    """Record that ``user`` (a broker) may lodge on behalf of ``account``; audited when new."""
    if _holds(account, user, PERM_REPRESENT):
        return
    assign_perm(PERM_REPRESENT, user, account)
    _grant_audit(
        action="accounts.trader_account.representative_authorised", account=account, user=user, actor=actor
    )


@transaction.atomic
def account_revoke_representative(*, account: TraderAccount, user: User, actor: User | None = None) -> None:
    """End ``user``'s authority to represent ``account``: it can no longer lodge for the account,
    nor see or act on the declarations it lodged for it (``declarations_visible_to``); audited when
    it had it."""
    if not _holds(account, user, PERM_REPRESENT):
        return
    remove_perm(PERM_REPRESENT, user, account)
    _grant_audit(
        action="accounts.trader_account.representative_revoked", account=account, user=user, actor=actor
    )


@transaction.atomic
def user_set_role(*, user: User, role: Role, actor: User | None = None) -> None:
    """Give ``user`` the role (its group); audited (``accounts.user.roles_changed``, the groups
    before and after) when the user did not have it."""
    group, _ = Group.objects.get_or_create(name=role.value)
    before = sorted(user.groups.values_list("name", flat=True))
    if group.name in before:
        return
    user.groups.add(group)
    user.__dict__.pop("role", None)  # the cached role is stale now
    audit_log(
        action="accounts.user.roles_changed",
        obj=user,
        actor=actor,
        data={"before": before, "after": sorted([*before, group.name])},
    )
    from .services import api_tokens_revoke_all
    from .two_factor import user_requires_2fa

    if user_requires_2fa(user):
        # Tokens issued while the role needed no second factor would carry it past the code.
        api_tokens_revoke_all(user=user, reason="role_changed")
