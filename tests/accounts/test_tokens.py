"""API tokens: stored hashed, named, expiring, listed and revoked by their owner on a page and through
the API, and all revoked by a new password."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import MAX_TOKENS_PER_NAME, api_token_create

pytestmark = pytest.mark.django_db


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def obtain(username: str, password: str, **data: str) -> str:
    response = APIClient().post(
        "/api/v1/auth/token", {"username": username, "password": password, **data}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def test_only_a_hash_of_the_key_is_stored(importer, password):
    key = obtain("importer", password)

    token = ApiToken.objects.get(user=importer)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    assert token.name == "API sign-in"
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        assert key not in repr(cursor.fetchall())


def test_each_sign_in_makes_a_new_token_and_the_old_ones_keep_working(importer, password):
    first, second = obtain("importer", password), obtain("importer", password, name="customs system")

    assert first != second
    assert with_token(first).get("/api/v1/declarations").status_code == 200
    assert with_token(second).get("/api/v1/declarations").status_code == 200
    assert ApiToken.objects.get(prefix=second[:8]).name == "customs system"


def test_sign_in_keeps_only_the_newest_tokens_of_one_name(importer, password):
    keys = [obtain("importer", password) for _ in range(MAX_TOKENS_PER_NAME + 2)]

    assert with_token(keys[0]).get("/api/v1/declarations").status_code == 401
    assert with_token(keys[1]).get("/api/v1/declarations").status_code == 401
    assert with_token(keys[2]).get("/api/v1/declarations").status_code == 200
    assert ApiToken.objects.filter(user=importer, revoked_at=None).count() == MAX_TOKENS_PER_NAME


def test_a_token_expires_after_the_configured_days_with_a_clear_401(importer, settings):
    settings.SW_TOKEN_TTL_DAYS = 30
    _token, key = api_token_create(user=importer, name="erp")
    client = with_token(key)

    with time_machine.travel(timezone.now() + timedelta(days=29, hours=23), tick=False):
        assert client.get("/api/v1/declarations").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=30, minutes=1), tick=False):
        response = client.get("/api/v1/declarations")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    error = response.json()["errors"][0]
    assert error["code"] == "token_expired"
    assert "expired on" in error["message"] and "Create a new one" in error["message"]


def test_an_unknown_key_is_a_401(db):
    response = with_token("not-a-key").get("/api/v1/declarations")

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "invalid_token"


def test_a_bearer_key_works_too(importer):
    _token, key = api_token_create(user=importer, name="erp")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    assert client.get("/api/v1/declarations").status_code == 200


def test_last_used_is_written_at_most_once_a_minute(importer):
    token, key = api_token_create(user=importer, name="erp")
    client = with_token(key)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        client.get("/api/v1/declarations")
    with (
        time_machine.travel(start + timedelta(seconds=30), tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        client.get("/api/v1/declarations")
    token.refresh_from_db()
    assert token.last_used_at == start
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]

    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        client.get("/api/v1/declarations")
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(seconds=61)


def test_api_lists_creates_and_revokes_the_owners_tokens(importer, exporter):
    _erp, erp_key = api_token_create(user=importer, name="erp")
    api_token_create(user=exporter, name="someone else's")
    client = with_token(erp_key)

    created = client.post("/api/v1/tokens", {"name": "customs system"}, format="json")
    assert created.status_code == 201
    new_key = created.json()["token"]
    assert with_token(new_key).get("/api/v1/declarations").status_code == 200

    listed = client.get("/api/v1/tokens").json()
    assert [t["name"] for t in listed] == ["customs system", "erp"]
    assert all("token" not in t and "key_hash" not in t for t in listed)
    assert set(listed[0]) == {"id", "name", "prefix", "created_at", "expires_at", "last_used_at"}

    assert client.delete(f"/api/v1/tokens/{created.json()['id']}").status_code == 204
    assert with_token(new_key).get("/api/v1/declarations").status_code == 401
    assert [t["name"] for t in client.get("/api/v1/tokens").json()] == ["erp"]


def test_api_cannot_revoke_another_users_token(importer, exporter):
    theirs, their_key = api_token_create(user=exporter, name="theirs")
    _mine, my_key = api_token_create(user=importer, name="mine")

    response = with_token(my_key).delete(f"/api/v1/tokens/{theirs.pk}")

    assert response.status_code == 404
    assert with_token(their_key).get("/api/v1/declarations").status_code == 200


def test_api_token_needs_a_name(importer):
    _token, key = api_token_create(user=importer, name="erp")

    response = with_token(key).post("/api/v1/tokens", {"name": ""}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "name"


def test_tokens_need_a_signed_in_user(db):
    assert APIClient().get("/api/v1/tokens").status_code == 401


def test_openapi_documents_the_token_endpoints(client):
    schema = client.get("/api/schema/", headers={"accept": "application/json"}).content.decode()

    assert "/api/v1/tokens/{token_id}" in schema
    assert "tokenAuth" in schema


def test_a_new_password_revokes_every_token_of_the_user_only(importer, exporter):
    _a, key_a = api_token_create(user=importer, name="a")
    _b, key_b = api_token_create(user=importer, name="b")
    _c, key_c = api_token_create(user=exporter, name="c")

    importer.set_password("a-brand-new-passphrase")
    importer.save()

    assert with_token(key_a).get("/api/v1/declarations").status_code == 401
    assert with_token(key_b).get("/api/v1/declarations").json()["errors"][0]["code"] == "token_revoked"
    assert with_token(key_c).get("/api/v1/declarations").status_code == 200


def test_tokens_page_creates_a_token_shown_once(client, importer):
    client.force_login(importer)

    response = client.post(reverse("tokens"), {"name": "warehouse system"})

    page = response.content.decode()
    key = re.search(r'class="mono token-key">([^<]+)<', page).group(1)
    assert response["Cache-Control"].startswith("max-age=0")
    assert "warehouse system" in page
    assert with_token(key).get("/api/v1/declarations").status_code == 200
    assert key not in client.get(reverse("tokens")).content.decode()
    assert key[:8] in client.get(reverse("tokens")).content.decode()


def test_tokens_page_without_a_name_shows_the_error_summary(client, importer):
    client.force_login(importer)

    page = client.post(reverse("tokens"), {"name": ""}).content.decode()

    assert 'role="alert"' in page
    assert 'href="#id_name"' in page
    assert "Enter a name for the token." in page
    assert not ApiToken.objects.exists()


def test_tokens_page_revokes_with_a_button(client, importer):
    token, key = api_token_create(user=importer, name="old system")
    client.force_login(importer)
    assert reverse("token-revoke", args=[token.pk]) in client.get(reverse("tokens")).content.decode()

    response = client.post(reverse("token-revoke", args=[token.pk]), follow=True)

    assert "“old system” is revoked" in response.content.decode()
    assert "You have no API tokens." in response.content.decode()
    assert with_token(key).get("/api/v1/declarations").status_code == 401


def test_tokens_page_does_not_list_or_revoke_another_users_tokens(client, importer, exporter):
    theirs, _key = api_token_create(user=exporter, name="exporter erp")
    client.force_login(importer)

    assert "exporter erp" not in client.get(reverse("tokens")).content.decode()
    assert client.post(reverse("token-revoke", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_tokens_page_query_count_does_not_grow_with_tokens(client, importer, django_assert_num_queries):
    api_token_create(user=importer, name="first")
    client.force_login(importer)
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("tokens"))
    for n in range(5):
        api_token_create(user=importer, name=f"more {n}")

    with django_assert_num_queries(len(first)):
        page = client.get(reverse("tokens")).content.decode()
    assert page.count("Revoke<span") == 6


def test_revoke_is_a_post(client, importer):
    token, _key = api_token_create(user=importer, name="erp")
    client.force_login(importer)

    assert client.get(reverse("token-revoke", args=[token.pk])).status_code == 405


def test_a_trader_made_an_officer_loses_the_tokens_issued_without_a_second_factor(importer):
    """A role that needs a code must not keep tokens issued on a password alone."""
    from accounts.access import user_set_role
    from accounts.models import Role

    _, key = api_token_create(user=importer, name="before promotion")
    user_set_role(user=importer, role=Role.OFFICER)

    response = APIClient().get("/api/v1/declarations", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "token_revoked"


def test_a_role_without_a_second_factor_keeps_its_tokens(importer):
    from accounts.access import user_set_role
    from accounts.models import Role

    _, key = api_token_create(user=importer, name="trader")
    user_set_role(user=importer, role=Role.BROKER)

    assert APIClient().get("/api/v1/declarations", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
