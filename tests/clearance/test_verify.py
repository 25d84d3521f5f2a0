"""/verify/<code>/: a gate checks a release note without signing in, by the code alone."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from clearance.models import ReleaseDecision
from declarations.models import Declaration
from declarations.models import Status as DeclarationStatus

from ..agencies.fixtures import ROSES, agency_auto_decide, item, lodge, payload_with

pytestmark = pytest.mark.django_db

N851 = [{"code": "N851", "reference": "PHYTO-1", "status": "AE"}]


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def released(importer, agencies, django_capture_on_commit_callbacks) -> Declaration:
    agency_auto_decide("plant-health")
    declaration = lodge(
        importer,
        payload_with(item(1, ROSES, documents=N851), lrn="VER-1"),
        django_capture_on_commit_callbacks,
    )
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.RELEASED
    return declaration


def code_of(declaration: Declaration) -> str:
    return ReleaseDecision.objects.get(declaration=declaration).verification_code


def test_valid_code_shows_the_release_without_sign_in(client, released):
    response = client.get(reverse("verify", args=[code_of(released)]))

    text = response.content.decode()
    assert response.status_code == 200
    assert "Valid: the goods are released" in text
    assert released.mrn in text and f"goods {ROSES}" in text
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "no-referrer"


def test_code_is_found_whatever_the_case_spaces_or_dashes(client, released):
    code = code_of(released)
    typed = code.replace("-", " ").lower()

    response = client.get(reverse("verify_form"), {"code": typed})

    assert response.status_code == 302 and response["Location"] == reverse("verify", args=[code])
    assert "Valid" in client.get(reverse("verify", args=[code.replace("-", "").lower()])).content.decode()


def test_no_trader_values_or_duties_are_shown(client, released):
    text = client.get(reverse("verify", args=[code_of(released)])).content.decode()

    trader = released.trader_account
    assert trader.name not in text and trader.eori not in text
    item_ = released.items.get()
    assert str(item_.value_amount) not in text
    assert "duty" not in text.lower().replace("duties were paid", "")


def test_unknown_code_is_not_valid_and_404(client, released):
    response = client.get(reverse("verify", args=["AAAA-BBBB-CCCC"]))

    assert response.status_code == 404
    assert "Not valid: no release has this code" in response.content.decode()
    assert released.mrn not in response.content.decode()


def test_an_mrn_is_not_a_code(client, released):
    response = client.get(reverse("verify", args=[released.mrn]))
    assert response.status_code == 404
    assert "Valid: the goods" not in response.content.decode()


def test_a_release_later_invalidated_is_no_longer_valid(client, released):
    Declaration.objects.filter(pk=released.pk).update(status=DeclarationStatus.INVALIDATED)

    text = client.get(reverse("verify", args=[code_of(released)])).content.decode()

    assert "No longer valid" in text and "invalidated" in text


def test_a_release_decided_again_as_a_refusal_does_not_show_the_refusal_as_its_release_time(client, released):
    # The decision row is rewritten when the declaration is decided again; the code stays on it.
    ReleaseDecision.objects.filter(declaration=released).update(outcome="refused")
    Declaration.objects.filter(pk=released.pk).update(status=DeclarationStatus.REFUSED)

    text = client.get(reverse("verify", args=[code_of(released)])).content.decode()

    assert "No longer valid" in text and "refused" in text
    assert "Released at" not in text


def test_only_released_decisions_carry_a_code(released):
    assert not ReleaseDecision.objects.exclude(outcome="released").exclude(verification_code=None).exists()


def test_too_many_unknown_codes_from_one_address_are_refused(client, released, settings):
    settings.SW_VERIFY_MISSES_PER_HOUR = 3
    for _ in range(3):
        assert client.get(reverse("verify", args=["AAAA-BBBB-CCCC"])).status_code == 404

    refused = client.get(reverse("verify", args=[code_of(released)]))

    assert refused.status_code == 429
    assert "Too many codes" in refused.content.decode()


def test_the_form_explains_a_malformed_code(client):
    response = client.get(reverse("verify_form"), {"code": "12"})

    assert response.status_code == 400
    assert "Enter the 12 letters and digits" in response.content.decode()
    assert 'href="#id_code"' in response.content.decode()


def test_the_empty_form_is_public(client):
    response = client.get(reverse("verify_form"))
    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()


def test_backfill_gives_old_releases_a_code(released):
    from importlib import import_module

    from django.apps import apps

    ReleaseDecision.objects.filter(declaration=released).update(verification_code=None)
    import_module("clearance.migrations.0008_release_verification_backfill").backfill(apps, None)

    assert code_of(released) is not None
