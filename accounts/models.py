"""Users, trader accounts (legal entities, keyed by EORI) and who may act for which account.

Roles are groups (``Role``). Membership of an account and a broker's authority to represent an
account are guardian object permissions held in direct foreign-key tables
(``TraderAccountUserObjectPermission``), read only through ``accounts.access``.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class Role(enum.StrEnum):
    TRADER = "trader"
    BROKER = "broker"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    CASHIER = "cashier"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.TRADER: _("Trader"),
    Role.BROKER: _("Customs broker"),
    Role.OFFICER: _("Agency officer"),
    Role.SUPERVISOR: _("Customs supervisor"),
    Role.CASHIER: _("Customs cashier"),
    Role.ADMIN: _("Administrator"),
}

# Object permissions on TraderAccount.
PERM_MEMBER = "member_of_account"
PERM_REPRESENT = "represent_account"


class User(AbstractUser):
    """A person who signs in. Custom from the first migration so it can grow without pain."""

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        swappable = "AUTH_USER_MODEL"

    @cached_property
    def role(self) -> Role | None:
        """The user's role (its group); read once per request, as pages ask for it several times."""
        names = {g.name for g in self.groups.all()}
        for role in (Role.ADMIN, Role.SUPERVISOR, Role.CASHIER, Role.OFFICER, Role.BROKER, Role.TRADER):
            if role.value in names:
                return role
        return Role.ADMIN if self.is_superuser else None

    def has_role(self, role: Role) -> bool:
        return self.role == role

    def save(self, *args: Any, **kwargs: Any) -> None:
        # ``set_password`` leaves the raw password in ``_password`` until saved (Django clears it
        # before saving a mere re-hash on sign-in, so an upgraded hasher revokes nothing).
        password_changed = getattr(self, "_password", None) is not None and self.pk is not None
        super().save(*args, **kwargs)
        if password_changed:
            from .services import user_password_changed

            user_password_changed(user=self)


eori_validator = RegexValidator(
    r"^[A-Z]{2}[A-Z0-9]{1,15}$",
    _("An EORI is a two-letter country code followed by up to 15 letters or digits."),
)


class AeoTier(models.TextChoices):
    AEOC = "AEOC", _("AEO customs simplifications (AEOC)")
    AEOS = "AEOS", _("AEO security and safety (AEOS)")
    AEOF = "AEOF", _("AEO full (AEOC and AEOS)")


class TraderAccount(models.Model):
    """A legal entity that trades: importer, exporter or customs broker, identified by its EORI."""

    eori = models.CharField(_("EORI"), max_length=17, unique=True, validators=[eori_validator])
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, default="GB")
    is_active = models.BooleanField(_("active"), default=True)
    is_broker = models.BooleanField(_("customs broker"), default=False)
    # Authorised economic operator: tier and validity (``aeo_valid_on``). AEOs score lower in risk
    # assessment and their reviews come first in agency queues.
    aeo_tier = models.CharField(_("AEO tier"), max_length=4, choices=AeoTier.choices, blank=True)
    aeo_reference = models.CharField(_("AEO authorisation number"), max_length=35, blank=True)
    aeo_valid_from = models.DateField(_("AEO valid from"), null=True, blank=True)
    aeo_valid_until = models.DateField(_("AEO valid until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The account's own system: WCO DMS responses about its declarations are pushed here, signed
    # with the secret (``declarations.push``; set by a member on the endpoint page or in the admin).
    response_url = models.URLField(_("response endpoint"), max_length=500, blank=True)
    response_secret = models.CharField(_("response endpoint secret"), max_length=128, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("trader account")
        verbose_name_plural = _("trader accounts")
        permissions = [
            (PERM_MEMBER, "Is a member of this trader account"),
            (PERM_REPRESENT, "May lodge declarations as representative of this account"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.eori})"

    def aeo_valid_on(self, day: date) -> bool:
        """Whether the account holds an AEO authorisation in force on ``day``."""
        if not self.aeo_tier:
            return False
        if self.aeo_valid_from is not None and day < self.aeo_valid_from:
            return False
        return self.aeo_valid_until is None or day <= self.aeo_valid_until


class TraderAccountUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(TraderAccount, on_delete=models.CASCADE)


class TraderAccountGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(TraderAccount, on_delete=models.CASCADE)


class ApiToken(models.Model):
    """A named API token of one user. Only a SHA-256 of the key is stored; the key is shown once.

    The key is random (240 bits), so a fast hash is enough: nothing can be guessed from it, and the
    lookup stays one indexed equality per request.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("starts with"), max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_active")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
