"""The account area in a real browser: API tokens, password change and reset, the lockout page."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from .conftest import sign_in

pytestmark = [pytest.mark.browser]

NEW_PASSWORD = "lighthouse-quay-7-ropes"


def test_trader_makes_and_revokes_a_token_then_changes_password(page: Page, importer, password, screenshot):
    sign_in(page, "importer", password)
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()
    screenshot("account-01-account")

    page.get_by_role("link", name="Manage your API tokens").click()
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a name for the token.")
    page.get_by_label("Token name").fill("Warehouse system")
    page.get_by_role("button", name="Create token").click()
    key = page.locator(".token-key").inner_text()
    assert len(key) == 40
    expect(page.get_by_role("cell", name="Warehouse system", exact=True)).to_be_visible()
    screenshot("account-02-token-created")

    page.get_by_role("button", name="Revoke Warehouse system").click()
    expect(page.get_by_role("status")).to_contain_text("is revoked")
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()

    page.get_by_role("link", name="Your account").first.click()
    page.get_by_role("link", name="Change your password").click()
    page.get_by_label("Old password").fill(password)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill("something else")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_be_visible()
    screenshot("account-03-password-change-error")
    page.get_by_label("Old password").fill(password)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed")


def test_forgotten_password_by_e_mail(page: Page, importer, screenshot):
    page.goto("/login/")
    page.get_by_role("link", name="Forgotten your password?").click()
    screenshot("account-04-reset-request")
    page.get_by_label("Email").fill("importer@example.test")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    screenshot("account-05-reset-sent")

    link = re.search(r"https?://[^/\s]+(/password-reset/\S+/)", mail.outbox[0].body).group(1)
    page.goto(link)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    screenshot("account-06-reset-set")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("status")).to_contain_text("Your new password is set")
    sign_in(page, "importer", NEW_PASSWORD)


def test_lockout_page_after_five_wrong_passwords(page: Page, importer, password, screenshot):
    page.goto("/login/")
    for _ in range(5):
        page.get_by_label("Username").fill("importer")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Sign in").click()
        if page.get_by_role("heading", name="Too many failed sign-in attempts").is_visible():
            break
        page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Too many failed sign-in attempts")).to_be_visible()
    screenshot("account-07-locked-out")
