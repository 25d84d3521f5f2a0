"""Every main page works under the Content-Security-Policy, with not one violation in the console.

The demo data gives each role its real demo user. A violation is what Chromium logs to the console
when the policy refuses something ("... violates the following Content Security Policy directive");
an uncaught script error counts as well. The first test shows the watch sees a refusal.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from clearance.demo import seed_demo
from declarations.models import Declaration

from ..agencies.fixtures import ROSES, item, lodge, payload_with
from ..conftest import SAMPLES
from .conftest import sign_in

pytestmark = [pytest.mark.browser]

SAMPLE_IMPORT = SAMPLES / "imports" / "TT_IM001a__Step1_TT_IM001a.xml"


@pytest.fixture
def demo(transactional_db) -> dict[str, str]:
    """The demo users, username to password."""
    return {user["username"]: user["password"] for user in seed_demo()}


@pytest.fixture
def violations(page: Page) -> Iterator[list[str]]:
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            found.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: found.append(f"{page.url}: uncaught {error}"))
    yield found


def visit(page: Page, path: str, heading: str | re.Pattern[str]) -> None:
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    page.evaluate("0")  # a round trip: the console messages of the load have arrived


def test_the_policy_refuses_an_injected_inline_script_and_style_attribute(page: Page, demo, violations):
    visit(page, "/login/", "Sign in")
    assert violations == []

    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.appendChild(script);
            document.body.insertAdjacentHTML("beforeend", '<p id="styled" style="color: red">x</p>');
        }"""
    )
    page.evaluate("0")

    assert page.evaluate("window.injected") is None  # the script never ran
    assert page.evaluate("document.getElementById('styled').style.color") == ""
    assert any("script-src" in v for v in violations), violations
    assert any("style-src" in v for v in violations), violations


def test_trader_pages_work_without_a_violation(page: Page, demo, violations):
    visit(page, "/login/", "Sign in")
    visit(page, "/password-reset/", "Reset your password")
    sign_in(page, "importer", demo["importer"])
    visit(page, "/", re.compile("Welcome"))
    visit(page, "/account/", "Your account")
    visit(page, "/account/tokens/", "API tokens")
    visit(page, "/account/password/", "Change your password")
    visit(page, "/declarations/", "Declarations")

    visit(page, "/declarations/new/", "Lodge a declaration")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.get_by_role("button", name="Add another goods item").click()
    # The script added the item in the page (no round trip to the server) and said so.
    expect(page.locator("#goods-item-2")).to_be_visible()
    expect(page.locator("#goods-items-status")).not_to_be_empty()
    assert navigations == []

    visit(page, "/declarations/upload/", "Upload declarations as XML")
    assert violations == []


def test_broker_upload_and_declaration_page_work_without_a_violation(page: Page, demo, violations):
    sign_in(page, "broker", demo["broker"])
    visit(page, "/declarations/upload/", "Upload declarations as XML")
    page.get_by_label(re.compile("file", re.IGNORECASE)).set_input_files(SAMPLE_IMPORT)
    page.get_by_role("button", name="Upload and lodge").click()

    expect(page.locator(".file-result--accepted")).to_be_visible()
    declaration = Declaration.objects.get()
    page.get_by_role("link", name=declaration.mrn).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(declaration.mrn)
    page.evaluate("0")
    assert violations == []


def _no_capture(execute: bool = False) -> contextlib.AbstractContextManager[Any]:
    return contextlib.nullcontext()  # on_commit runs at once outside a test transaction


def test_officer_and_supervisor_pages_work_without_a_violation(page: Page, demo, violations):
    from accounts.models import User

    flowers = lodge(
        User.objects.get(username="importer"), payload_with(item(1, ROSES), lrn="CSP-1"), _no_capture
    )
    review = flowers.reviews.get(agency__code="plant-health")

    sign_in(page, "plant_officer", demo["plant_officer"])
    visit(page, "/agencies/queue/", "Review queue")
    visit(page, f"/agencies/reviews/{review.pk}/", re.compile(flowers.mrn))
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "supervisor", demo["supervisor"])
    visit(page, "/clearance/", "Declarations overview")
    visit(page, f"/clearance/declarations/{flowers.mrn}/", re.compile(flowers.mrn))
    assert violations == []


def test_admin_pages_work_without_a_violation(page: Page, demo, violations):
    from accounts.models import User

    sign_in(page, "admin", demo["admin"])
    importer = User.objects.get(username="importer")
    for path, heading in (
        ("/admin/", "Site administration"),
        ("/admin/accounts/user/", "Select user to change"),
        (f"/admin/accounts/user/{importer.pk}/change/", "Change user"),
        ("/admin/agencies/agency/", "Select agency to change"),
        ("/admin/agencies/routingrule/add/", "Add routing rule"),
        ("/admin/declarations/declaration/", "Select declaration to view"),
    ):
        page.goto(path)
        expect(page.locator("#content h1")).to_have_text(heading)
        page.evaluate("0")
    assert violations == []


def test_api_reference_renders_and_searches_with_only_the_cdn_logo_refused(page: Page, demo, violations):
    page.goto("/api/docs/")
    # The schema is generated on this first request: allow it time on a busy machine.
    expect(page.get_by_role("heading", level=1)).to_contain_text("National Single Window API", timeout=30_000)
    # The search index is built in a worker started from a blob: URL, which this page's policy admits.
    page.get_by_placeholder("Search...").fill("declaration")
    # The index covers the whole schema (it grows with every endpoint): allow it time to build.
    expect(page.locator("[data-role='search:results']")).to_be_visible(timeout=30_000)
    page.evaluate("0")

    # ReDoc shows its maker's logo from cdn.redoc.ly: refused (no CDN), and the page hides it.
    assert [v for v in violations if "https://cdn.redoc.ly/" not in v] == []


def test_two_step_verification_pages_work_without_a_violation(page: Page, demo, violations):
    """The set-up page's QR code is inline SVG: it must need no style attribute or script."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from tests.two_factor import totp_code

    TOTPDevice.objects.filter(user__username="food_officer").delete()  # a new officer: sets one up
    page.goto("/login/")
    page.get_by_label("Username").fill("food_officer")
    page.get_by_label("Password").fill(demo["food_officer"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step verification")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    page.evaluate("0")
    device = TOTPDevice.objects.get(user=User.objects.get(username="food_officer"))
    page.get_by_label("Code", exact=True).fill(totp_code(device))
    page.get_by_role("button", name="Turn on two-step verification").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery codes")
    page.evaluate("0")
    visit(page, "/accounts/two-factor/", "Two-step verification")
    page.get_by_role("button", name="Sign out").click()

    page.get_by_label("Username").fill("food_officer")
    page.get_by_label("Password").fill(demo["food_officer"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    page.evaluate("0")
    assert violations == []
