"""The help desk in a real browser, on a desktop and a 390 px phone: a trader asks about a released
declaration (and rates how it was handled), the supervisor answers from the help desk with an
internal note, the trader reads the answer and the notification (never the note)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from declarations.models import Declaration, Status
from support.models import ServiceRequest
from tests.factories import PASSWORD
from tests.support.conftest import lodge

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def both_sizes(page: Page, screenshot, name: str) -> None:
    screenshot(f"{name}-desktop")
    page.set_viewport_size(PHONE)
    screenshot(f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def test_trader_asks_about_a_declaration_help_desk_answers_trader_reads_it(
    page: Page, screenshot, importer, supervisor
):
    declaration = lodge(importer, "HELP-BROWSER-1")
    Declaration.objects.filter(pk=declaration.pk).update(status=Status.RELEASED)

    sign_in(page, "importer", PASSWORD)
    page.goto(f"/declarations/{declaration.mrn}/")
    # The one question after release, answered once.
    expect(page.locator("#satisfaction")).to_contain_text(
        "How satisfied are you with how this declaration was handled?"
    )
    both_sizes(page, screenshot, "help-declaration-panel")
    page.get_by_role("button", name="Send rating").click()
    expect(page.locator(".error-summary")).to_contain_text("Choose how satisfied you are")
    both_sizes(page, screenshot, "help-rating-error")
    page.get_by_label("4 – Satisfied").check()
    page.get_by_role("button", name="Send rating").click()
    expect(page.locator(".satisfaction")).to_contain_text(
        "you rated how this declaration was handled 4 out of 5"
    )

    page.get_by_role("link", name="Ask about this declaration").click()
    expect(page.get_by_role("heading", name="Ask the help desk", level=1)).to_be_visible()
    page.get_by_role("button", name="Send request").click()  # the category is chosen, the rest empty
    expect(page.locator(".error-summary")).to_contain_text("Give your request a subject.")
    expect(page.locator(".error-summary")).to_contain_text("Write your question.")
    page.get_by_label("Subject").fill("When may the goods leave the port?")
    page.get_by_label("Your question").fill(
        "The declaration is released; the port says it waits for customs."
    )
    both_sizes(page, screenshot, "help-new")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".notice")).to_contain_text("sent. The help desk answers within 24 hours.")
    reference = ServiceRequest.objects.get().reference
    expect(page.locator(".summary-list")).to_contain_text(declaration.mrn)

    page.context.clear_cookies()
    sign_in(page, "supervisor", PASSWORD)
    page.get_by_role("link", name="Help desk").click()
    expect(page.locator("table.queue")).to_contain_text(reference)
    both_sizes(page, screenshot, "help-desk-queue")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("button", name="Take it").click()
    expect(page.locator(".notice")).to_contain_text(f"You took request {reference}.")
    page.get_by_label("Internal note").fill("Port system shows the release since 10:02.")
    page.get_by_role("button", name="Add note").click()
    page.get_by_label("Answer to the trader").fill(
        "The release reached the port at 10:02; show them the release note."
    )
    page.get_by_role("button", name="Send answer").click()
    expect(page.locator(".notice")).to_contain_text("Answer sent; the trader is notified.")
    expect(page.locator(".thread__message--internal")).to_contain_text("Port system shows")
    both_sizes(page, screenshot, "help-desk-request")

    page.context.clear_cookies()
    sign_in(page, "importer", PASSWORD)
    page.get_by_role("link", name="Messages", exact=True).click()
    expect(page.locator("main")).to_contain_text(f"The help desk answered your request {reference}")
    page.get_by_role("link", name="Get help").click()
    page.get_by_role("link", name="See your requests").click()
    page.get_by_role("link", name=reference).click()
    expect(page.locator(".thread")).to_contain_text("show them the release note")
    expect(page.locator(".thread")).not_to_contain_text("Port system shows")
    expect(page.locator(".summary-list")).to_contain_text("Answered within the service level")
    both_sizes(page, screenshot, "help-request-trader")
    page.get_by_role("button", name="Close this request").click()
    expect(page.locator(".notice")).to_contain_text(f"Request {reference} closed.")
