"""API tokens: create (the key shown once), authenticate, revoke; and what a new password ends."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from singlewindow.audit import AuditEntry, audit_log, audit_log_many
from singlewindow.errors import DomainError, NotFound

from .models import ApiToken, TraderAccount, User

# How often a token's "last used" is written: at most once a minute, not on every request.
LAST_USED_GRANULARITY = timedelta(minutes=1)
# The sign-in endpoint makes a new token each call: keep a script that signs in on every run from
# piling up tokens, by revoking the oldest beyond this many of the same name.
MAX_TOKENS_PER_NAME = 10


class TokenError(DomainError):
    """A token that cannot be used: unknown, revoked or expired (the API answers 401)."""

    status = 401


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str, keep: int | None = None) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns it with its key, which is stored only as a hash.

    With ``keep``, the user's oldest active tokens of that name beyond ``keep`` are revoked.
    """
    name = name.strip()
    if not name:
        raise DomainError("required", _("Give the token a name, such as the system that will use it."))
    key = secrets.token_urlsafe(30)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=key[:8],
        key_hash=token_hash(key),
        expires_at=now + timedelta(days=settings.SW_TOKEN_TTL_DAYS),
    )
    audit_log(
        action="accounts.api_token.created",
        obj=token,
        actor=user,
        data={
            "user": user.pk,
            "name": token.name,
            "prefix": token.prefix,
            "expires_at": token.expires_at.isoformat(),
        },
    )
    if keep is not None:
        older = list(api_tokens_active(user=user).filter(name=token.name).values_list("pk", flat=True)[keep:])
        ApiToken.objects.filter(pk__in=older).update(revoked_at=now)
        _revocations_audit(user=user, token_ids=older, reason="replaced", actor=user)
    return token, key


def _revocations_audit(*, user: User, token_ids: list[int], reason: str, actor: User | None) -> None:
    audit_log_many(
        AuditEntry(
            action="accounts.api_token.revoked",
            obj=ApiToken(pk=pk),
            actor=actor,
            data={"user": user.pk, "reason": reason},
        )
        for pk in token_ids
    )


def api_tokens_active(*, user: User) -> QuerySet[ApiToken]:
    """The user's tokens that still work (neither revoked nor expired), newest first."""
    return ApiToken.objects.filter(user=user, revoked_at=None, expires_at__gt=timezone.now())


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of ``user``'s own tokens (404 for another user's). Revoking twice is harmless."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        if ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=token.revoked_at):
            _revocations_audit(user=user, token_ids=[token.pk], reason="revoked", actor=user)
    return token


@transaction.atomic
def api_tokens_revoke_all(*, user: User, reason: str = "password_changed") -> int:
    """Revoke every token of ``user`` (its password or role changed); returns how many were live."""
    live = list(ApiToken.objects.filter(user=user, revoked_at=None).values_list("pk", flat=True))
    if not live:
        return 0
    revoked = ApiToken.objects.filter(pk__in=live, revoked_at=None).update(revoked_at=timezone.now())
    _revocations_audit(user=user, token_ids=live, reason=reason, actor=None)
    return revoked


def api_token_authenticate(*, key: str) -> ApiToken:
    """The live token with this key, its user loaded; records the use at most once a minute."""
    token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(key)).first()
    if token is None:
        raise TokenError("invalid_token", _("Invalid token."))
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenError("token_revoked", _("This token was revoked. Create a new one."))
    if token.expires_at <= now:
        raise TokenError(
            "token_expired",
            _("This token expired on %(date)s. Create a new one.") % {"date": _iso(token.expires_at)},
        )
    if not token.user.is_active:
        raise TokenError("user_inactive", _("This user is inactive."))
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        token.last_used_at = now
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def user_password_changed(*, user: User) -> None:
    """A new password (changed, reset, or set by an administrator) ends every API token of the user
    and clears the user's sign-in lockouts."""
    from axes.utils import reset

    api_tokens_revoke_all(user=user)
    reset(username=user.get_username())


def password_reset_allowed(*, email: str) -> bool:
    """Count a password-reset request for ``email`` (in the shared cache, per hour); False past the
    limit. The address is hashed in the key: the cache holds no addresses."""
    key = "accounts:password-reset:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=3600)
        count = 1
    return count <= settings.SW_PASSWORD_RESET_PER_HOUR


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M %Z")


@transaction.atomic
def response_endpoint_set(
    *, account: TraderAccount, actor: User, url: str, secret: str = ""
) -> TraderAccount:
    """Register (or with an empty ``url``, stop) the account's endpoint for DMS responses.

    ``secret`` replaces the current one when given ("" keeps it). The caller checked the URL
    (``forms.endpoint_url_clean``); every push checks it again. Audited with the URL before and
    after and whether the secret changed, never the secret.
    """
    locked = TraderAccount.objects.select_for_update().get(pk=account.pk)
    before = locked.response_url
    locked.response_url = url
    if secret:
        locked.response_secret = secret
    if not url:
        locked.response_secret = ""
    locked.save(update_fields=["response_url", "response_secret"])
    audit_log(
        action="accounts.trader_account.response_endpoint_changed",
        obj=locked,
        actor=actor,
        data={
            "before": {"response_url": before},
            "after": {"response_url": url},
            "secret": "changed" if secret or (not url and before) else "unchanged",
        },
    )
    return locked
