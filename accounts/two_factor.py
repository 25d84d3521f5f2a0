"""Second factor: an authenticator app (TOTP) and one-time recovery codes, on django-otp.

Who must have one is a setting (``SW_REQUIRE_2FA_ROLES``: officers, supervisors, administrators by
default); traders and brokers may turn it on. A session is *verified* once a code was accepted after
the password (``django_otp.login`` stores the device in the session; ``OTPMiddleware`` reads it
back as ``request.user.is_verified()``). ``accounts.middleware.TwoFactorMiddleware`` keeps a user who
needs a code, or needs to enrol, away from everything else until then.

Wrong codes are throttled by the devices themselves (django-otp's exponential back-off: 1, 2, 4, 8 …
seconds after successive failures, ``OTP_*_THROTTLE_FACTOR``); a verification locks the device row,
so two requests cannot both spend the same code.
"""

from __future__ import annotations

import math
import re
from base64 import b32encode
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core import checks
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from singlewindow.errors import DomainError

from .models import Role, User

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
# The authenticator the embedded mode's demo data gives officers, supervisors and administrators
# (clearance.demo): its key is published in the README, so the verify page says where to find it.
DEMO_DEVICE_NAME = "Demo authenticator (published key)"
# Whether the signed-in user had a confirmed authenticator when the session began (set on sign-in,
# kept up to date by enrolment and turning it off), so an optional user's every request does not
# have to ask the database.
SESSION_ENROLLED = "sw_2fa_enrolled"
# Recovery codes just made, shown once by the next page and then forgotten.
SESSION_NEW_CODES = "sw_2fa_new_recovery_codes"

TOTP_FORMAT = re.compile(r"^\d{6}$")


class TwoFactorError(DomainError):
    """A code refused: ``otp_required``, ``otp_invalid``, ``otp_throttled`` or ``otp_not_enrolled``."""


def user_requires_2fa(user: Any) -> bool:
    """Whether the user's role is one that must sign in with a second factor.

    Staff and superusers count as administrators, whatever their groups.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    required = set(settings.SW_REQUIRE_2FA_ROLES)
    if user.is_staff or user.is_superuser:
        return Role.ADMIN.value in required or (user.role is not None and user.role.value in required)
    return user.role is not None and user.role.value in required


def user_has_2fa(user: User) -> bool:
    """Whether the user has a confirmed authenticator (recovery codes come with it)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def user_needs_verification(request: Any) -> bool:
    """Whether this signed-in session must give a code (or enrol) before going further."""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return False
    if SESSION_ENROLLED not in request.session:  # a session begun before two-step verification existed
        session_note_enrolment(request, user=user)
    return bool(request.session[SESSION_ENROLLED]) or user_requires_2fa(user)


def session_note_enrolment(request: Any, *, user: User) -> None:
    """Remember in the session whether ``user`` has an authenticator (on sign-in)."""
    request.session[SESSION_ENROLLED] = user_has_2fa(user)


def on_user_logged_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    """After the password step: note whether the user has an authenticator, so the next request asks."""
    if request is not None and hasattr(request, "session"):
        session_note_enrolment(request, user=user)


def check_required_roles(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``SW_REQUIRE_2FA_ROLES`` names roles that exist (a typo would silently require nothing)."""
    unknown = sorted(set(settings.SW_REQUIRE_2FA_ROLES) - {r.value for r in Role})
    if not unknown:
        return []
    return [
        checks.Error(
            f"SW_REQUIRE_2FA_ROLES names unknown roles: {', '.join(unknown)}",
            hint=f"Use some of: {', '.join(r.value for r in Role)}.",
            id="accounts.E001",
        )
    ]


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The authenticator being set up: the same key until it is confirmed, so a reload keeps the QR code.

    Creates an unconfirmed device with a fresh random key when there is none.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The key as people type it into an authenticator: base32, in groups of four."""
    text = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    """The ``otpauth://`` address of the device as an inline SVG QR code (no image file, no script)."""
    image = qrcode.make(
        device.config_url,
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=8,
        border=2,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    svg = image.to_string(encoding="unicode")
    # Inline in HTML: no XML declaration; a name for screen readers.
    svg = re.sub(r"^<\?xml[^>]*\?>\s*", "", svg)
    label = _("QR code for your authenticator app")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" class="qr-code" ', 1)


def totp_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirm a pending authenticator with a code from it; returns the new recovery codes.

    The confirmed device replaces any earlier authenticator of the user, and new recovery codes
    replace the old ones. Raises ``TwoFactorError`` for a wrong or throttled code (after the
    failure is counted: the error is raised outside the transaction that records it).
    """
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
        error = _verify(locked, code)
        if error is None:
            TOTPDevice.objects.filter(user=user).exclude(pk=locked.pk).delete()
            locked.confirmed = True
            locked.save(update_fields=["confirmed"])
            return recovery_codes_replace(user=user)
    raise error


@transaction.atomic
def recovery_codes_replace(*, user: User) -> list[str]:
    """Make ``RECOVERY_CODE_COUNT`` new one-time recovery codes; the old ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def recovery_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def two_factor_verify(*, user: User, code: str) -> Device:
    """The device that accepts ``code``: six digits go to the authenticator, anything else to the
    recovery codes (a used recovery code is gone). Raises ``TwoFactorError``.

    Each device counts its own wrong codes, so typing a recovery code does not slow the authenticator.
    """
    code = normalise_code(code)
    if not code:
        raise TwoFactorError(
            "otp_required",
            _("Enter the 6-digit code from your authenticator app, or one of your recovery codes."),
        )
    model: type[TOTPDevice] | type[StaticDevice] = TOTPDevice if TOTP_FORMAT.match(code) else StaticDevice
    error: TwoFactorError | None
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            error = (
                TwoFactorError("otp_invalid", _("That code is not right. Check it and try again."))
                if user_has_2fa(user)
                else TwoFactorError(
                    "otp_not_enrolled", _("Set up two-step verification in the portal first."), status=403
                )
            )
        else:
            error = _verify(device, code)
    if error is not None:
        raise error
    assert device is not None  # no error means a device accepted the code
    return device


def two_factor_disable(*, user: User, code: str) -> None:
    """Turn two-step verification off, after a code; refused where the user's role requires it.

    Deletes the authenticator and the recovery codes.
    """
    if user_requires_2fa(user):
        raise TwoFactorError(
            "otp_required_for_role", _("Your role requires two-step verification."), status=403
        )
    two_factor_verify(user=user, code=code)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


def normalise_code(code: str) -> str:
    """Codes as people type them: spaces and dashes dropped, recovery codes in lower case."""
    return re.sub(r"[\s-]", "", code or "").lower()


def _verify(device: TOTPDevice | StaticDevice, code: str) -> TwoFactorError | None:
    """Check ``code`` on a locked device; the error to raise once the failure count is committed."""
    allowed, info = device.verify_is_allowed()
    if not allowed:
        wait = math.ceil(((info or {}).get("locked_until", timezone.now()) - timezone.now()).total_seconds())
        return TwoFactorError(
            "otp_throttled",
            _("Too many wrong codes. Wait %(seconds)d seconds and try again.") % {"seconds": max(wait, 1)},
            status=429,
        )
    if not device.verify_token(normalise_code(code)):
        return TwoFactorError("otp_invalid", _("That code is not right. Check it and try again."))
    return None
