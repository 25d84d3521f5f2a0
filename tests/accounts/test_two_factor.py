"""Two-step verification: who must give a code after the password, enrolment, recovery codes,
throttling, the admin and the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, User
from accounts.two_factor import RECOVERY_CODE_COUNT, check_required_roles

from ..factories import UserFactory
from ..two_factor import authenticator_for, totp_code

pytestmark = pytest.mark.django_db

VERIFY = reverse("two_factor_verify")
SETUP = reverse("two_factor_setup")
CODES = reverse("two_factor_recovery_codes")
OVERVIEW = reverse("two_factor")


@pytest.fixture
def officer(db: None) -> User:
    return UserFactory(username="agri_officer", role="officer")


@pytest.fixture
def administrator(db: None) -> User:
    return UserFactory(username="administrator", role="admin", is_staff=True, is_superuser=True)


def sign_in(client, username: str, password: str, next_url: str = ""):
    """The password step, through the sign-in page."""
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def code_error(response) -> str:
    page = response.content.decode()
    match = re.search(r'<p class="error-message" id="id_code_error">(.*?)</p>', page, re.S)
    assert match, "no error beside the code field"
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Error:", "").strip()


# Who is asked


def test_officer_with_an_authenticator_is_asked_for_a_code_after_the_password(client, officer, password):
    authenticator_for(officer)

    response = sign_in(client, "agri_officer", password, next_url="/agencies/queue/")
    response = client.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fagencies%2Fqueue%2F"


def test_officer_gives_the_code_and_lands_where_they_were_going(client, officer, password):
    device = authenticator_for(officer)
    sign_in(client, "agri_officer", password)

    response = client.post(VERIFY, {"code": totp_code(device), "next": "/agencies/queue/"})

    assert response.status_code == 302
    assert response["Location"] == "/agencies/queue/"
    assert client.get(reverse("home")).status_code == 200


def test_until_the_code_every_portal_page_redirects_to_the_verify_page(client, officer, supervisor, password):
    authenticator_for(officer)
    sign_in(client, "agri_officer", password)

    for path in (reverse("home"), "/agencies/queue/", "/declarations/", "/clearance/", OVERVIEW, CODES):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(VERIFY), path


def test_the_verify_page_lets_the_user_sign_out_and_switch_language(client, officer, password):
    authenticator_for(officer)
    sign_in(client, "agri_officer", password)

    page = client.get(VERIFY).content.decode()
    assert reverse("logout") in page
    assert client.post(reverse("set_language"), {"language": "en", "next": VERIFY}).status_code == 302
    client.post(reverse("logout"))

    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_an_external_next_address_is_ignored(client, officer, password):
    device = authenticator_for(officer)
    sign_in(client, "agri_officer", password)

    response = client.post(VERIFY, {"code": totp_code(device), "next": "https://evil.example/"})

    assert response["Location"] == reverse("home")


def test_trader_without_two_step_verification_is_not_asked(client, importer, password):
    response = sign_in(client, "importer", password)

    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_the_required_roles_are_a_setting(client, officer, password, settings):
    settings.SW_REQUIRE_2FA_ROLES = ["supervisor", "admin"]

    sign_in(client, "agri_officer", password)

    assert client.get(reverse("home")).status_code == 200


def test_supervisor_and_staff_are_required_by_default(supervisor, administrator):
    from accounts.two_factor import user_requires_2fa

    staff = UserFactory(username="helpdesk", is_staff=True)

    assert user_requires_2fa(supervisor)
    assert user_requires_2fa(administrator)
    assert user_requires_2fa(staff)


def test_an_unknown_role_in_the_setting_fails_the_system_check(settings):
    settings.SW_REQUIRE_2FA_ROLES = ["officer", "oficer"]

    errors = check_required_roles()

    assert [e.id for e in errors] == ["accounts.E001"]
    assert "oficer" in errors[0].msg
    assert isinstance(errors[0], checks.Error)


# Wrong codes


def test_a_wrong_code_is_a_clear_form_error_and_does_not_sign_in(client, officer, password):
    authenticator_for(officer)
    sign_in(client, "agri_officer", password)

    response = client.post(VERIFY, {"code": "000000"})

    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert 'href="#id_code"' in response.content.decode()
    assert code_error(response) == "That code is not right. Check it and try again."
    assert client.get(reverse("home"))["Location"].startswith(VERIFY)


def test_an_empty_code_asks_for_one(client, officer, password):
    authenticator_for(officer)
    sign_in(client, "agri_officer", password)

    response = client.post(VERIFY, {"code": ""})

    assert "Enter the 6-digit code" in code_error(response)


def test_after_a_wrong_code_even_the_right_one_waits_and_the_wait_doubles(client, officer, password):
    device = authenticator_for(officer)
    sign_in(client, "agri_officer", password)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.post(VERIFY, {"code": "000000"})
        refused = client.post(VERIFY, {"code": totp_code(device)})
        assert code_error(refused) == "Too many wrong codes. Wait 1 seconds and try again."

        clock.shift(dt.timedelta(seconds=2))
        client.post(VERIFY, {"code": "000000"})  # the second failure: the next try waits 2 s
        clock.shift(dt.timedelta(seconds=1))
        assert "Wait 1 seconds" in code_error(client.post(VERIFY, {"code": totp_code(device)}))

        clock.shift(dt.timedelta(seconds=1))
        response = client.post(VERIFY, {"code": totp_code(device)})

    assert response.status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_code_is_accepted_once(client, officer, password):
    device = authenticator_for(officer)
    code = totp_code(device)
    sign_in(client, "agri_officer", password)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.post(reverse("logout"))

    sign_in(client, "agri_officer", password)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        response = client.post(VERIFY, {"code": code})

    assert code_error(response) == "That code is not right. Check it and try again."


# Enrolment


def test_officer_without_an_authenticator_is_sent_to_set_one_up_and_nowhere_else(client, officer, password):
    sign_in(client, "agri_officer", password)

    for path in (reverse("home"), "/agencies/queue/", VERIFY):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(SETUP), path
    assert client.get(SETUP).status_code == 200


def test_setup_shows_the_qr_code_inline_and_the_key_to_type(client, officer, password):
    sign_in(client, "agri_officer", password)

    response = client.get(SETUP)

    page = response.content.decode()
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    assert re.search(r'<svg [^>]*role="img"', page)
    assert "<?xml" not in page
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None, "no inline script"
    secret = re.search(r'<p class="secret mono" id="secret">([A-Z2-7 ]+)</p>', page).group(1)
    assert secret.replace(" ", "") == device.config_url.split("secret=")[1].split("&")[0]
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]


def test_reloading_setup_keeps_the_same_key(client, officer, password):
    sign_in(client, "agri_officer", password)
    client.get(SETUP)
    client.get(SETUP)

    assert TOTPDevice.objects.filter(user=officer).count() == 1


def test_confirming_setup_signs_in_and_shows_ten_recovery_codes_once(client, officer, password):
    sign_in(client, "agri_officer", password, next_url="/agencies/queue/")
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=officer, confirmed=False)

    response = client.post(f"{SETUP}?next=/agencies/queue/", {"code": totp_code(device)})

    assert response.status_code == 302
    assert response["Location"] == f"{CODES}?next=%2Fagencies%2Fqueue%2F"
    page = client.get(response["Location"]).content.decode()
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", page)
    assert len(codes) == RECOVERY_CODE_COUNT
    assert set(codes) == set(StaticToken.objects.filter(device__user=officer).values_list("token", flat=True))
    assert 'href="/agencies/queue/"' in page
    assert not set(codes) & set(re.findall(r"[a-z2-7]{8}", client.get(CODES).content.decode()))
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_code_at_setup_is_a_form_error_and_leaves_the_authenticator_unconfirmed(
    client, officer, password
):
    sign_in(client, "agri_officer", password)
    client.get(SETUP)

    response = client.post(SETUP, {"code": "12345"})

    assert response.status_code == 200
    assert code_error(response) == "That code is not right. Check it and try again."
    assert not TOTPDevice.objects.filter(user=officer, confirmed=True).exists()


def test_only_the_password_cannot_replace_an_authenticator(client, officer, password):
    authenticator_for(officer)
    sign_in(client, "agri_officer", password)

    response = client.get(SETUP)

    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=officer).count() == 1


def test_a_verified_user_replaces_the_authenticator_and_the_old_one_stops_working(client, officer):
    old = authenticator_for(officer)
    client.force_login(officer)
    client.get(SETUP)
    new = TOTPDevice.objects.get(user=officer, confirmed=False)

    client.post(SETUP, {"code": totp_code(new)})

    assert list(TOTPDevice.objects.filter(user=officer).values_list("pk", flat=True)) == [new.pk]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()


# Recovery codes


def test_a_recovery_code_signs_in_once(client, officer, password):
    authenticator_for(officer)
    client.force_login(officer)
    client.post(CODES)
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", client.get(CODES).content.decode())
    client.post(reverse("logout"))

    sign_in(client, "agri_officer", password)
    assert client.post(VERIFY, {"code": codes[0].upper()}).status_code == 302
    client.post(reverse("logout"))
    sign_in(client, "agri_officer", password)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        response = client.post(VERIFY, {"code": codes[0]})

    assert code_error(response) == "That code is not right. Check it and try again."
    assert StaticToken.objects.filter(device__user=officer).count() == RECOVERY_CODE_COUNT - 1


def test_new_recovery_codes_replace_the_old_ones(client, officer):
    authenticator_for(officer)
    client.force_login(officer)
    client.post(CODES)
    first = set(re.findall(r"<li>([a-z2-7]{8})</li>", client.get(CODES).content.decode()))

    client.post(CODES)

    second = set(re.findall(r"<li>([a-z2-7]{8})</li>", client.get(CODES).content.decode()))
    assert len(second) == RECOVERY_CODE_COUNT
    assert not first & second
    assert set(StaticToken.objects.filter(device__user=officer).values_list("token", flat=True)) == second


# Optional for traders


def test_trader_turns_it_on_then_is_asked_at_the_next_sign_in(client, importer, password):
    client.force_login(importer)
    assert "Set up two-step verification" in client.get(OVERVIEW).content.decode()
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=importer)
    client.post(SETUP, {"code": totp_code(device)})
    client.post(reverse("logout"))

    sign_in(client, "importer", password)

    assert client.get(reverse("home"))["Location"].startswith(VERIFY)


def test_trader_turns_it_off_with_a_code(client, importer):
    device = authenticator_for(importer)
    client.force_login(importer, verified=True)

    response = client.post(reverse("two_factor_disable"), {"code": totp_code(device)})

    assert response["Location"] == OVERVIEW
    assert not TOTPDevice.objects.filter(user=importer).exists()
    assert client.get(reverse("home")).status_code == 200


def test_turning_it_off_needs_the_right_code(client, importer):
    authenticator_for(importer)
    client.force_login(importer, verified=True)

    response = client.post(reverse("two_factor_disable"), {"code": "000000"})

    assert code_error(response) == "That code is not right. Check it and try again."
    assert TOTPDevice.objects.filter(user=importer).exists()


def test_a_role_that_requires_it_cannot_turn_it_off(client, supervisor):
    device = authenticator_for(supervisor)
    client.force_login(supervisor)

    assert "Turn off" not in client.get(OVERVIEW).content.decode()
    response = client.post(reverse("two_factor_disable"), {"code": totp_code(device)})

    page = response.content.decode()
    assert 'role="alert"' in page
    assert "Your role requires two-step verification." in page
    assert TOTPDevice.objects.filter(user=supervisor).exists()


# The Django admin


def test_admin_is_refused_to_a_staff_session_without_a_code(client, administrator):
    client.force_login(administrator, verified=False)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(SETUP)


def test_admin_asks_staff_for_a_code_even_when_the_setting_leaves_admins_out(client, administrator, settings):
    settings.SW_REQUIRE_2FA_ROLES = ["officer"]
    authenticator_for(administrator)
    client.force_login(administrator, verified=False)

    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0].startswith(VERIFY)


def test_admin_opens_for_a_verified_staff_session(client, administrator):
    client.force_login(administrator)

    assert client.get("/admin/").status_code == 200


def test_admin_sign_in_goes_through_the_portal(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/admin/"


# The API


def token(username: str, password: str, **extra: str):
    return APIClient().post(
        "/api/v1/auth/token", {"username": username, "password": password, **extra}, format="json"
    )


def test_officer_token_needs_a_code(officer, password):
    authenticator_for(officer)

    response = token("agri_officer", password)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "pointer": "otp",
            "field": "otp",
            "code": "otp_required",
            "message": "This user signs in with two-step verification: send a one-time code in otp.",
        }
    ]
    assert not ApiToken.objects.filter(user=officer).exists()


def test_officer_token_with_the_code(officer, password):
    device = authenticator_for(officer)

    response = token("agri_officer", password, otp=totp_code(device))

    assert response.status_code == 200
    assert response.json()["token"]
    assert ApiToken.objects.filter(user=officer).count() == 1


def test_officer_token_with_a_recovery_code(client, officer, password):
    authenticator_for(officer)
    client.force_login(officer)
    client.post(CODES)
    code = re.findall(r"<li>([a-z2-7]{8})</li>", client.get(CODES).content.decode())[0]

    assert token("agri_officer", password, otp=code).status_code == 200
    assert token("agri_officer", password, otp=code).status_code == 400


def test_officer_token_with_a_wrong_code_then_throttled(officer, password):
    device = authenticator_for(officer)
    with time_machine.travel(timezone.now(), tick=False):
        wrong = token("agri_officer", password, otp="000000")
        throttled = token("agri_officer", password, otp=totp_code(device))

    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["code"] == "otp_invalid"
    assert throttled.status_code == 429
    assert throttled.json()["errors"][0]["code"] == "otp_throttled"


def test_officer_without_an_authenticator_gets_no_token(officer, password):
    response = token("agri_officer", password, otp="123456")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "otp_not_enrolled"


def test_wrong_password_says_nothing_about_the_code(officer):
    authenticator_for(officer)

    response = token("agri_officer", "wrong")

    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == ["authorization"]


def test_trader_token_without_two_step_verification_needs_no_code(importer, password):
    assert token("importer", password).status_code == 200


def test_trader_with_two_step_verification_needs_a_code_for_a_token(importer, password):
    device = authenticator_for(importer)

    assert token("importer", password).status_code == 400
    assert token("importer", password, otp=totp_code(device)).status_code == 200


def test_a_token_is_not_asked_for_a_code_again(officer):
    authenticator_for(officer)
    _token, key = services.api_token_create(user=officer, name="agency system")

    response = APIClient().get("/api/v1/reviews", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 200


def test_an_unverified_session_is_refused_by_the_api(client, officer):
    authenticator_for(officer)
    client.force_login(officer, verified=False)

    response = client.get("/api/v1/reviews")

    assert response.status_code == 403
    assert response.json()["errors"][0]["message"].startswith("Two-step verification is required")


def test_a_verified_session_is_served_by_the_api(client, officer):
    client.force_login(officer)

    assert client.get("/api/v1/reviews").status_code == 200


# The demo


def test_demo_officers_have_the_published_demo_authenticator(capsys, client, settings):
    from clearance.demo import DEMO_OTP_SECRET

    settings.SW_EMBEDDED = True
    call_command("seed_demo")
    assert DEMO_OTP_SECRET in capsys.readouterr().out

    call_command("demo_otp", "customs_officer")
    code = capsys.readouterr().out.strip()
    client.post(reverse("login"), {"username": "customs_officer", "password": "customs_officer-demo-2026"})
    page = client.get(VERIFY).content.decode()
    response = client.post(VERIFY, {"code": code})

    assert "python manage.py demo_otp customs_officer" in page
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert not TOTPDevice.objects.filter(user__username__in=["importer", "exporter", "broker"]).exists()


def test_demo_otp_refuses_outside_the_embedded_mode(settings):
    settings.SW_EMBEDDED = False

    with pytest.raises(CommandError, match="embedded mode"):
        call_command("demo_otp", "customs_officer")
