"""Sign-in lockout (django-axes): counted per username AND address, shared by the pages, the admin and
the API token endpoint; X-Forwarded-For is believed only from the proxies we configured."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import User

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

OFFICE = "198.51.100.7"  # one broker office behind one NAT
ELSEWHERE = "203.0.113.9"


def sign_in(client: Client, username: str, password: str, address: str = OFFICE, **meta: str):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **meta
    )


def fail(client: Client, username: str, times: int, address: str = OFFICE) -> None:
    for _ in range(times):
        sign_in(client, username, "wrong", address)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_then_the_right_one_is_refused_with_the_lockout_page(client, importer, password):
    assert settings.AXES_FAILURE_LIMIT == 5
    statuses = [sign_in(client, "importer", "wrong").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # the form again, then the fifth failure locks out

    response = sign_in(client, "importer", password)

    page = response.content.decode()
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in page
    assert "Try again in 15 minutes" in page
    assert reverse("password_reset") in page
    assert 'class="skip-link"' in page  # the portal's own page, not a bare message
    assert response["Retry-After"] == "900"
    assert not signed_in(client)


def test_four_wrong_passwords_then_the_right_one_signs_in(client, importer, password):
    fail(client, "importer", 4)

    assert sign_in(client, "importer", password).status_code == 302
    assert signed_in(client)


def test_another_user_from_the_same_office_still_signs_in(client, importer, exporter, password):
    fail(client, "importer", 5)

    assert sign_in(client, "exporter", password).status_code == 302
    assert signed_in(client)


def test_the_same_user_from_another_address_still_signs_in(client, importer, password):
    fail(client, "importer", 5)

    assert sign_in(client, "importer", password, address=ELSEWHERE).status_code == 302
    assert signed_in(client)


def test_a_fresh_ipv6_address_of_the_same_64_on_each_try_does_not_reset_the_count(client, importer, password):
    """One IPv6 host holds a whole /64: the lockout counts the network, not each address."""
    for n in range(1, 6):
        sign_in(client, "importer", "wrong", address=f"2001:db8:0:1::{n}")

    response = sign_in(client, "importer", password, address="2001:db8:0:1::99")

    assert response.status_code == 429
    assert not signed_in(client)
    # another network is another client
    assert sign_in(client, "importer", password, address="2001:db8:0:2::1").status_code == 302


def test_a_new_x_forwarded_for_on_each_try_does_not_reset_the_count(client, importer, password):
    assert settings.SW_TRUSTED_PROXY_COUNT == 0
    for n in range(5):
        sign_in(client, "importer", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    response = sign_in(client, "importer", password, HTTP_X_FORWARDED_FOR="192.0.2.99")

    assert response.status_code == 429
    assert not signed_in(client)


def test_behind_a_trusted_proxy_the_address_it_saw_is_the_client(client, importer, password, settings):
    settings.SW_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    # The client prepends what it likes; our proxy appends the address it saw: the last one counts.
    for n in range(5):
        sign_in(client, "importer", "wrong", proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {OFFICE}")

    assert sign_in(client, "importer", password, proxy, HTTP_X_FORWARDED_FOR=OFFICE).status_code == 429
    assert sign_in(client, "importer", password, proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE).status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, importer, password):
    fail(client, "importer", 5)

    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert sign_in(client, "importer", password).status_code == 302


def test_a_new_password_lifts_the_users_lockout(client, importer, password):
    fail(client, "importer", 5)
    importer.set_password("a-brand-new-passphrase")
    importer.save()

    assert sign_in(client, "importer", "a-brand-new-passphrase").status_code == 302


def test_admin_sign_in_is_locked_out_too(client, password):
    """The admin has no password form of its own (two-step verification): its sign-in hands over to the
    portal's, which is locked out."""
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(5):
        handed_over = client.post(url, {"username": "admin", "password": "wrong"}, REMOTE_ADDR=OFFICE)
        assert handed_over["Location"].startswith(reverse("login"))
        sign_in(client, "admin", "wrong")

    response = sign_in(client, "admin", password)

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not signed_in(client)


def token(client: APIClient, username: str, password: str, address: str = OFFICE, **extra: str):
    return client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address,
        **extra,
    )


def test_api_token_endpoint_locks_out_with_a_clear_json_error(importer, exporter, password):
    client = APIClient()
    statuses = [
        token(client, "importer", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(5)
    ]
    assert statuses == [400, 400, 400, 400, 429]  # the fifth failure locks out

    response = token(client, "importer", password)

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    error = response.json()["errors"][0]
    assert error["code"] == "locked_out"
    assert "Too many failed sign-in attempts" in error["message"]
    assert "token" not in response.json()
    # the same office, another user; the same user, another address
    assert token(client, "exporter", password).status_code == 200
    assert token(client, "importer", password, address=ELSEWHERE).status_code == 200


def test_failures_on_the_pages_and_the_api_add_up(client, importer, password):
    fail(client, "importer", 3)
    for _ in range(2):
        token(APIClient(), "importer", "wrong")

    assert token(APIClient(), "importer", password).status_code == 429
    assert sign_in(client, "importer", password).status_code == 429


def test_an_unknown_username_is_counted_and_answered_like_a_wrong_password(client):
    responses = [sign_in(client, "nobody", "wrong").status_code for _ in range(6)]

    assert responses == [200] * 4 + [429] * 2


@pytest.fixture
def strict_token_throttle(monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "3/minute"})
    cache.clear()
    yield
    cache.clear()


def test_token_throttle_ignores_x_forwarded_for_from_the_internet(importer, password, strict_token_throttle):
    client = APIClient()
    statuses = [
        token(client, f"user-{n}", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(4)
    ]

    assert statuses == [400, 400, 400, 429]
    assert token(client, "importer", password, address=ELSEWHERE).status_code == 200


def test_token_throttle_trusts_the_configured_proxy(importer, password, strict_token_throttle, settings):
    settings.SW_TRUSTED_PROXY_COUNT = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = APIClient()
    for n in range(3):
        token(client, f"user-{n}", "wrong", "10.0.0.2", HTTP_X_FORWARDED_FOR=OFFICE)

    assert token(client, "importer", password, "10.0.0.2", HTTP_X_FORWARDED_FOR=OFFICE).status_code == 429
    assert token(client, "importer", password, "10.0.0.2", HTTP_X_FORWARDED_FOR=ELSEWHERE).status_code == 200


def test_lockouts_are_kept_in_the_database_for_every_process():
    # The database handler: every gunicorn worker reads and writes the same counts.
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_user_model_is_the_portal_user():
    assert User._meta.label == settings.AUTH_USER_MODEL


def test_cache_url_makes_the_default_cache_redis_for_every_process():
    """The API throttles count in the default cache: Redis in the full stack, shared by every worker."""
    import os
    import subprocess
    import sys

    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default'])"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "singlewindow.settings"}
    redis = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "CACHE_URL": "redis://127.0.0.1:6399/1"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    embedded = subprocess.run(
        [sys.executable, "-c", code],
        env={k: v for k, v in env.items() if k != "CACHE_URL"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert "django.core.cache.backends.redis.RedisCache" in redis and "redis://127.0.0.1:6399/1" in redis
    assert "LocMemCache" in embedded


def test_a_forwarded_value_that_is_no_address_falls_back_to_the_connection(
    client, importer, password, settings
):
    settings.SW_TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        sign_in(client, "importer", "wrong", HTTP_X_FORWARDED_FOR="not-an-address")

    assert sign_in(client, "importer", password, HTTP_X_FORWARDED_FOR="<script>").status_code == 429
    assert sign_in(client, "importer", password, address=ELSEWHERE).status_code == 302


def test_an_overlong_username_is_a_clear_error_not_a_500(client, db):
    response = sign_in(client, "x" * 5000, "wrong")
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()

    api = token(APIClient(), "x" * 5000, "wrong")
    assert api.status_code == 400
    assert api.json()["errors"][0]["pointer"] == "username"


def test_deploy_check_warns_when_the_throttles_cache_is_per_process(settings):
    from accounts.checks import throttle_cache_is_shared

    settings.SW_EMBEDDED = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [w.id for w in throttle_cache_is_shared(None)] == ["accounts.W001"]

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}
    }
    assert throttle_cache_is_shared(None) == []
    settings.SW_EMBEDDED = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert throttle_cache_is_shared(None) == []
