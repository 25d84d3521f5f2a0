"""Administrators maintain the tariff in the admin: search by code, the model's rules, the upload page,
rows an assessment used keeping their rates, audit events, fixed query counts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from payments.assessment import assess
from payments.models import ExchangeRate, FeeRule, TariffMeasure
from payments.refdata.loader import COLUMNS
from singlewindow.models import AuditEvent
from tests.factories import UserFactory

from .tariff_fixtures import declaration_with, item

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:payments_tariffmeasure_changelist"


@pytest.fixture
def administrator(db: None) -> User:
    return UserFactory(username="administrator", role="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, administrator) -> Any:
    client.force_login(administrator)
    return client


def measure_form(**changes: str) -> dict[str, str]:
    data = {
        "code_prefix": "85101000",
        "tax_type": "A00",
        "origin": "",
        "preference_code": "",
        "proof_documents": "",
        "kind": "ad_valorem",
        "rate_percent": "3",
        "specific_amount": "",
        "specific_currency": "GBP",
        "unit": "",
        "vat_rate": "",
        "valid_from": "2027-01-01",
        "valid_to": "",
        "source": "UK Global Tariff",
        "legal_note": "",
    }
    data.update(changes)
    return data


def test_searching_a_commodity_code_lists_the_measures_that_cover_it(admin_client, uk_tariff):
    page = admin_client.get(reverse(CHANGELIST), {"q": "8510 90 00"}).content.decode()
    # 8510 (duty) and 85 (VAT): the measures whose prefix covers 85109000.
    assert page.count('<th class="field-code_prefix">') == 2
    assert ">8510</a>" in page and ">85</a>" in page


def test_an_administrator_adds_a_measure_and_the_change_is_audited(admin_client, uk_tariff):
    response = admin_client.post(reverse("admin:payments_tariffmeasure_add"), measure_form())
    assert response.status_code == 302
    measure = TariffMeasure.objects.get(code_prefix="85101000")
    assert measure.rate_percent == Decimal("3")
    assert AuditEvent.objects.filter(action="payments.tariff_measure.created", object_id=measure.pk).exists()


def test_the_admin_refuses_a_period_that_ends_before_it_starts(admin_client, uk_tariff):
    response = admin_client.post(
        reverse("admin:payments_tariffmeasure_add"),
        measure_form(valid_from="2027-01-01", valid_to="2026-01-01"),
    )
    assert response.status_code == 200
    assert "The last day of validity is before the first." in response.content.decode()


def test_the_admin_refuses_an_overlapping_measure_with_a_clear_message(admin_client, uk_tariff):
    response = admin_client.post(
        reverse("admin:payments_tariffmeasure_add"), measure_form(code_prefix="8510", valid_from="2026-01-01")
    )
    assert response.status_code == 200
    assert (
        "This measure (8510, tax type A00, origin every origin) overlaps the one valid from 2021-01-01 to "
        "further notice: end that one first."
    ) in response.content.decode()
    assert TariffMeasure.objects.filter(code_prefix="8510", tax_type="A00").count() == 1


def test_a_measure_an_assessment_used_keeps_its_rate_and_may_only_be_ended(
    admin_client, uk_tariff, importer, importer_account
):
    assess(declaration_with(importer, importer_account, item()), agencies={})
    measure = TariffMeasure.objects.get(code_prefix="8510", tax_type="A00")
    url = reverse("admin:payments_tariffmeasure_change", args=[measure.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="rate_percent"' not in page and 'name="valid_to"' in page
    admin_client.post(url, {"valid_to": "2026-12-31", "legal_note": "ended"})
    measure.refresh_from_db()
    assert (measure.rate_percent, str(measure.valid_to)) == (Decimal("2.000"), "2026-12-31")


def test_the_upload_page_loads_a_file_or_lists_every_problem(admin_client, uk_tariff):
    url = reverse("admin:payments_tariffmeasure_upload")
    assert admin_client.get(url).status_code == 200
    header = ",".join(COLUMNS)
    bad = f"{header}\nexchange_rate,,,,,,,,abc,NOK,,,,,2026-12-01,,,\n"
    response = admin_client.post(url, {"file": SimpleUploadedFile("rates.csv", bad.encode())})
    page = response.content.decode()
    assert response.status_code == 200
    assert "line 2, column amount: &#x27;abc&#x27; is not a number" in page
    assert not ExchangeRate.objects.filter(currency="NOK").exists()

    good = f"{header}\nexchange_rate,,,,,,,,11.90,NOK,,,,,2026-12-01,,,\n"
    response = admin_client.post(url, {"file": SimpleUploadedFile("rates.csv", good.encode())})
    assert response.status_code == 302
    assert ExchangeRate.objects.get(currency="NOK").rate == Decimal("11.9")
    assert AuditEvent.objects.filter(
        action="payments.tariff.loaded", actor__username="administrator"
    ).exists()


def test_changelists_cost_the_same_queries_however_many_rows(admin_client, demo_agencies, uk_tariff):
    for model, params in ((TariffMeasure, {"in_force": "now"}), (ExchangeRate, {}), (FeeRule, {})):
        url = reverse(f"admin:payments_{model._meta.model_name}_changelist")
        admin_client.get(url, params)
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url, params).status_code == 200
        many = len(captured)
        model.objects.exclude(pk__in=list(model.objects.values_list("pk", flat=True)[:1])).delete()
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url, params).status_code == 200
        assert len(captured) == many, model
