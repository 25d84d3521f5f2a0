"""A signed-in session unused for SW_SESSION_IDLE_MINUTES ends, with a message on the sign-in page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_an_idle_session_ends_and_sign_in_says_why(client, importer, settings):
    settings.SW_SESSION_IDLE_MINUTES = 30
    start = timezone.now()
    client.force_login(importer)
    with time_machine.travel(start, tick=False):
        assert client.get(reverse("home")).status_code == 200

    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = client.get(reverse("home"), follow=True)

    assert response.redirect_chain == [(f"{reverse('login')}?next=/", 302)]
    assert "signed out after 30 minutes without activity" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_activity_keeps_the_session_alive(client, importer, settings):
    settings.SW_SESSION_IDLE_MINUTES = 30
    start = timezone.now()
    client.force_login(importer)
    for minutes in (0, 20, 40, 60):  # never 30 minutes apart
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get(reverse("home")).status_code == 200


def test_the_idle_limit_applies_to_the_api_through_the_session_too(client, importer, settings):
    settings.SW_SESSION_IDLE_MINUTES = 5
    start = timezone.now()
    client.force_login(importer)
    with time_machine.travel(start, tick=False):
        assert client.get("/api/v1/declarations").status_code == 200

    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert client.get("/api/v1/declarations").status_code == 401


def test_a_busy_session_is_not_saved_on_every_request(client, importer):
    client.force_login(importer)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(reverse("account"))
    with (
        time_machine.travel(start + timedelta(seconds=10), tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        client.get(reverse("account"))
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
