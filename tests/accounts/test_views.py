"""Sign in, sign out, language switch and the home page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from declarations import services

from ..conftest import BROKER_EORI, IMPORTER_EORI
from ..declarations.test_views import lodge

pytestmark = pytest.mark.django_db


def test_home_requires_sign_in(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_sign_in_with_the_right_password_lands_on_home(client, importer, password):
    response = client.post(reverse("login"), {"username": "importer", "password": password}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Welcome, importer" in response.content.decode()


def test_sign_in_with_a_wrong_password_shows_the_error_summary(client, importer):
    response = client.post(reverse("login"), {"username": "importer", "password": "wrong"})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in page
    assert 'href="#id_username"' in page


def test_sign_out_is_a_post_and_ends_the_session(client, importer):
    client.force_login(importer)

    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))

    assert client.get(reverse("home")).status_code == 302


def test_header_shows_user_role_and_account(client, importer):
    client.force_login(importer)

    page = client.get(reverse("home")).content.decode()

    assert "Trader" in page
    assert IMPORTER_EORI in page
    assert 'class="skip-link" href="#main"' in page


def test_trader_home_shows_accounts_recent_declarations_drafts_and_actions(client, importer):
    declaration = lodge(importer, "HOME-1")
    draft = services.declaration_save_draft(user=importer, payload={"lrn": "HOME-DRAFT", "items": []})
    client.force_login(importer)

    page = client.get(reverse("home")).content.decode()

    assert "Clippers Import Ltd" in page
    assert declaration.mrn in page
    assert reverse("declarations:draft", args=[draft.pk]) in page
    assert reverse("declarations:new") in page and "Lodge a declaration" in page
    assert reverse("declarations:upload") in page and "Upload XML" in page


def test_broker_home_lists_the_accounts_it_represents(client, broker):
    client.force_login(broker)

    page = client.get(reverse("home")).content.decode()

    assert BROKER_EORI in page
    assert "Accounts you may represent" in page
    assert IMPORTER_EORI in page


def test_home_does_not_show_other_traders_declarations(client, importer, outsider):
    declaration = lodge(importer, "HOME-2")
    client.force_login(outsider)

    assert declaration.mrn not in client.get(reverse("home")).content.decode()


@pytest.fixture
def english_afterwards():
    """LocaleMiddleware leaves the language a request asked for active in this thread; put English back
    so later tests that call gettext outside a request are not answered in French."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_language_switch_sets_french(client, importer, english_afterwards):
    client.force_login(importer)

    response = client.post(reverse("set_language"), {"language": "fr", "next": "/"}, follow=True)

    assert '<html lang="fr">' in response.content.decode()
    assert "Vos comptes" in response.content.decode()


def test_login_page_in_french(client, english_afterwards):
    page = client.get(reverse("login"), headers={"accept-language": "fr"}).content.decode()

    assert "Se connecter" in page


def test_home_query_count_does_not_grow_with_declarations(client, importer, django_assert_num_queries):
    lodge(importer, "HQ-1")
    client.force_login(importer)
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("home"))
    for n in range(2, 8):
        lodge(importer, f"HQ-{n}", items=2)
        services.declaration_save_draft(user=importer, payload={"lrn": f"HQD-{n}", "items": []})

    with django_assert_num_queries(len(first)):
        client.get(reverse("home"))


def test_server_error_page_renders_without_a_request():
    page = render_to_string("500.html")

    assert "Sorry, there is a problem with the service" in page
    assert "portal.css" in page


def test_unknown_address_gets_the_portal_404_page(client, importer):
    client.force_login(importer)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "Sign out" in response.content.decode()
