"""Self-service password change and reset by e-mail, and the links to them."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import api_token_create

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lighthouse-quay-7-ropes"


@pytest.fixture(autouse=True)
def _reset_counts_start_at_zero():
    """Reset requests are counted in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()


def token_works(key: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/declarations").status_code == 200


def test_sign_in_page_links_to_password_reset(client):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()


def test_header_links_to_the_account_area_which_links_to_password_and_tokens(client, importer):
    client.force_login(importer)

    assert reverse("account") in client.get(reverse("home")).content.decode()
    page = client.get(reverse("account")).content.decode()
    assert reverse("password_change") in page
    assert reverse("tokens") in page
    assert "importer@example.test" in page


def test_account_pages_need_sign_in(client):
    for name in ("account", "tokens", "password_change"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_signed_in_user_changes_password_keeps_the_session_and_loses_the_tokens(client, importer, password):
    _token, key = api_token_create(user=importer, name="erp")
    client.force_login(importer)

    response = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("account")
    assert "Your password is changed" in response.content.decode()
    assert client.get(reverse("home")).status_code == 200  # still signed in here
    assert not token_works(key)
    importer.refresh_from_db()
    assert importer.check_password(NEW_PASSWORD)


def test_password_change_with_a_wrong_old_password_shows_the_error_summary(client, importer):
    client.force_login(importer)

    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in page
    assert 'href="#id_old_password"' in page


def ask_reset(client, email: str):
    return client.post(reverse("password_reset"), {"email": email}, follow=True)


def test_reset_request_answers_the_same_for_a_known_and_an_unknown_address(client, importer):
    known = ask_reset(client, "importer@example.test")
    unknown = ask_reset(client, "nobody@example.test")

    assert known.redirect_chain == unknown.redirect_chain == [(reverse("password_reset_done"), 302)]
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')  # masked afresh on every page
    assert csrf.sub("", known.content.decode()) == csrf.sub("", unknown.content.decode())
    assert "If the address belongs to an account" in known.content.decode()
    assert [m.to for m in mail.outbox] == [["importer@example.test"]]


def test_reset_link_sets_a_new_password_and_revokes_the_tokens(client, importer, password):
    _token, key = api_token_create(user=importer, name="erp")
    ask_reset(client, "importer@example.test")
    body = mail.outbox[0].body
    link = re.search(r"http://testserver(/password-reset/[^\s]+/)", body).group(1)
    assert "importer" in body

    form = client.get(link, follow=True)  # Django swaps the token in the address for a session marker
    assert "Set a new password" in form.content.decode()
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("login")
    assert "Your new password is set" in response.content.decode()
    assert not token_works(key)
    assert (
        client.post(reverse("login"), {"username": "importer", "password": NEW_PASSWORD}).status_code == 302
    )
    # the link works once
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_a_wrong_reset_link_says_so(client, importer):
    page = client.get(reverse("password_reset_confirm", args=["MQ", "set-password"])).content.decode()

    assert "This link no longer works" in page


def test_reset_e_mails_to_one_address_are_limited_per_hour_with_the_same_answer(
    client, importer, exporter, settings
):
    settings.SW_PASSWORD_RESET_PER_HOUR = 3
    answers = [ask_reset(client, "Importer@Example.test ").redirect_chain for _ in range(5)]

    assert answers == [[(reverse("password_reset_done"), 302)]] * 5
    assert len(mail.outbox) == 3
    ask_reset(client, "exporter@example.test")  # another address is unaffected
    assert [m.to for m in mail.outbox][3:] == [["exporter@example.test"]]
