"""Playwright in a real headless Chromium against pytest-django's live server.

The system Chromium is used (no `playwright install`, no download). Playwright's sync API runs an
event loop in this thread, so Django's async-safety check must be told the ORM calls are fine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server, transactional_db) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page: Page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page: Page, username: str, password: str) -> None:
    """Sign in through the pages: the password, then, for a user with two-step verification (every
    officer, supervisor and administrator: an authenticator is made for them), the current code."""
    from accounts.models import User
    from accounts.two_factor import user_has_2fa, user_requires_2fa
    from tests.two_factor import authenticator_for, totp_code

    user = User.objects.get(username=username)
    device = authenticator_for(user) if user_requires_2fa(user) or user_has_2fa(user) else None
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if device is not None:
        page.wait_for_url("**/accounts/two-factor/verify/**")
        page.get_by_label("Code", exact=True).fill(totp_code(device))
        page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/")


# Agencies, their routing rules and officers (the review tests): the same as the agency tests.
from tests.agencies.fixtures import (  # noqa: E402, F401
    agencies,
    customs,
    food_safety,
    plant_health,
    plant_officer,
    plant_officer_2,
    standards,
    standards_officer,
)
from tests.agencies.licence_fixtures import licensing, licensing_officer  # noqa: E402, F401
