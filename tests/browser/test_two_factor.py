"""Two-step verification in a real headless Chromium: an officer enrols at the first sign-in, keeps the
recovery codes, and signs in the next time with a code from the authenticator.

The authenticator is played by the test: it reads the key the set-up page shows (as a person would
type it into an app) and computes the code with django-otp's TOTP algorithm.
"""

from __future__ import annotations

import datetime as dt
import re
from base64 import b32decode

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.two_factor import totp_code

from .conftest import sign_in

pytestmark = [pytest.mark.browser]


def a_moment_passes(user: User) -> None:
    """The throttle after a wrong code lasts a second: move the failure that far into the past."""
    TOTPDevice.objects.filter(user=user).update(
        throttling_failure_timestamp=timezone.now() - dt.timedelta(seconds=2)
    )


def code_from_key(secret: str) -> str:
    """What an authenticator app shows for the key typed from the page."""
    return f"{TOTP(b32decode(secret.replace(' ', ''))).token():06d}"


def test_officer_enrols_at_first_sign_in_then_signs_in_with_a_code(
    page: Page, plant_officer, password, screenshot
):
    page.goto("/login/")
    page.get_by_label("Username").fill("plant_officer")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()

    # No authenticator yet: the set-up page, and nothing else.
    page.wait_for_url("**/accounts/two-factor/setup/**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step verification")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    screenshot("40-two-factor-setup")
    page.goto("/agencies/queue/")
    page.wait_for_url("**/accounts/two-factor/setup/**")

    # A wrong code is refused beside the field and in the summary.
    page.get_by_label("Code", exact=True).fill("000000")
    page.get_by_role("button", name="Turn on two-step verification").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    screenshot("41-two-factor-setup-wrong-code")

    # A person takes longer than the throttle's second to type the next code.
    a_moment_passes(plant_officer)
    secret = page.locator("#secret").inner_text()
    page.get_by_label("Code", exact=True).fill(code_from_key(secret))
    page.get_by_role("button", name="Turn on two-step verification").click()
    page.wait_for_url("**/accounts/two-factor/recovery-codes/**")

    codes = page.locator("ul.recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    assert all(re.fullmatch(r"[a-z2-7]{8}", code) for code in codes)
    expect(page.get_by_role("status")).to_contain_text("Two-step verification is on")
    screenshot("42-two-factor-recovery-codes")
    page.get_by_role("link", name="I have saved my recovery codes").click()
    # On to where the officer was going when sent to set up.
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")

    # Shown once: coming back shows how many are left, not the codes.
    page.goto("/accounts/two-factor/recovery-codes/")
    expect(page.locator("ul.recovery-codes")).to_have_count(0)
    expect(page.get_by_text("You have 10 unused recovery codes.")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Username").fill("plant_officer")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/two-factor/verify/**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    screenshot("43-two-factor-verify")

    # A recovery code works instead of the app.
    page.get_by_label("Code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    page.get_by_role("link", name="Queue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")


def test_the_next_sign_in_asks_for_the_code_from_the_app(page: Page, plant_officer, password, screenshot):
    sign_in(page, "plant_officer", password)  # enrolled through the helper's authenticator
    page.get_by_role("button", name="Sign out").click()

    page.get_by_label("Username").fill("plant_officer")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/two-factor/verify/**")
    page.get_by_label("Code", exact=True).fill("123")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    screenshot("44-two-factor-verify-wrong-code")

    a_moment_passes(plant_officer)
    page.get_by_label("Code", exact=True).fill(totp_code(TOTPDevice.objects.get(user=plant_officer)))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    page.goto("/accounts/two-factor/")
    expect(page.get_by_text("Yes: your role requires two-step verification.")).to_be_visible()
    expect(page.get_by_role("button", name="Turn off")).to_have_count(0)
    screenshot("45-two-factor-overview")
