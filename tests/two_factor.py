"""Second factor in tests: an authenticator for a persona, its current code, a verified session.

Tests sign in the way people do: through the pages with a code (``sign_in`` in tests/browser, the
token endpoint with ``otp``), or with ``client.force_login``, which the suite's client extends to
verify the session of a user whose role requires two-step verification (tests/conftest.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.two_factor import AUTHENTICATOR_NAME, SESSION_ENROLLED, user_requires_2fa


def authenticator_for(user: User) -> TOTPDevice:
    """The user's confirmed authenticator, made if it has none.

    A wide tolerance lets one test sign the same persona in several times within 30 seconds (each
    code is accepted once, so the next sign-in takes the next step's code).
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=True, tolerance=10)
    return device


def totp_code(device: TOTPDevice) -> str:
    """A code the device accepts now: the current step's, or, when that was used, the next unused one
    (as an authenticator app would show a little later)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    t = max(totp.t(), device.last_t + 1)
    assert t <= totp.t() + device.tolerance, "signed in too often within the device's tolerance"
    return f"{hotp(device.bin_key, t, digits=device.digits):0{device.digits}d}"


def session_verify(client: Client, user: User) -> None:
    """Mark the client's session (already signed in as ``user``) as having given a code."""
    session = client.session
    assert session[SESSION_KEY] == str(user.pk)
    session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id
    session[SESSION_ENROLLED] = True
    session.save()


class PortalClient(Client):
    """Django's test client, whose ``force_login`` stands for a complete sign-in: password and, for a
    role that requires it, the second factor. ``verified=False`` stops after the password."""

    def force_login(self, user: Any, backend: str | None = None, *, verified: bool | None = None) -> None:
        super().force_login(user, backend)
        if verified is None:
            verified = user_requires_2fa(user)
        if verified:
            session_verify(self, user)
