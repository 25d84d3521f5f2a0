"""The licence pages: shared with every agency, customs and supervisors, a trader's own only; an
officer of the issuing agency registers and revokes; the review page shows what licences said."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from agencies.models import Licence, UsageKind
from tests.conftest import IMPORTER_EORI
from tests.factories import UserFactory

from .fixtures import item, lodge, payload_with, review_of
from .licence_fixtures import licence_for

pytestmark = pytest.mark.django_db

FORM = {
    "agency": "import-licensing",
    "document_code": "9100",
    "number": "GBOIL000002-0001",
    "holder": IMPORTER_EORI.lower(),  # typed in any case
    "hs_prefixes": "2612, 2601",
    "quantity_allowance": "500",
    "quantity_unit": "kgm",
    "value_allowance": "",
    "value_currency": "",
    "valid_from": "2024-01-01",
    "valid_until": "2099-12-31",
}


def html(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def oil(licensing) -> Licence:
    return licence_for(
        licensing, code="9100", number="GBOIL000002-0001", holder=IMPORTER_EORI, hs=["2612"], quantity="500"
    )


@pytest.fixture
def foreign(licensing) -> Licence:
    return licence_for(
        licensing, code="9100", number="GBOIL000077-0001", holder="GB999999999999", hs=[], quantity="5"
    )


def test_every_agency_officer_supervisor_and_administrator_sees_every_licence(
    client, oil, foreign, plant_officer, supervisor
):
    admin = UserFactory(username="administrator", role="admin", is_staff=True, is_superuser=True)
    for user in (plant_officer, supervisor, admin):
        client.force_login(user)
        listed = html(client.get(reverse("agencies:licences")))
        assert "GBOIL000002-0001" in listed and "GBOIL000077-0001" in listed
        assert client.get(reverse("agencies:licence", args=[foreign.pk])).status_code == 200


def test_a_trader_sees_its_own_licence_and_gets_404_for_another(client, importer, oil, foreign):
    client.force_login(importer)
    listed = html(client.get(reverse("agencies:licences")))
    assert "GBOIL000002-0001" in listed and "GBOIL000077-0001" not in listed
    assert client.get(reverse("agencies:licence", args=[oil.pk])).status_code == 200
    assert client.get(reverse("agencies:licence", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("agencies:licence", args=[999999])).status_code == 404
    assert client.get(reverse("agencies:licence_new")).status_code == 404


def test_a_cashier_has_no_licence_pages(client, oil):
    cashier = UserFactory(username="cashier", role="cashier")
    client.force_login(cashier)
    assert client.get(reverse("agencies:licences")).status_code == 404
    assert client.get(reverse("agencies:licence", args=[oil.pk])).status_code == 404


def test_the_list_reads_a_constant_number_of_queries_and_filters(
    client, licensing, plant_officer, django_assert_max_num_queries
):
    for n in range(2):
        licence_for(
            licensing, code="9100", number=f"GBOIL00000{n}-0001", holder=IMPORTER_EORI, hs=[], quantity="1"
        )
    client.force_login(plant_officer)
    url = reverse("agencies:licences")
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for n in range(6):
        licence_for(
            licensing, code="L001", number=f"GBCPI00000{n}-0001", holder=IMPORTER_EORI, hs=[], value="9"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
    filtered = html(client.get(url, {"number": "GBCPI", "state": "valid", "holder": IMPORTER_EORI.lower()}))
    assert "GBCPI000005-0001" in filtered and "GBOIL000000-0001" not in filtered


def test_an_officer_registers_a_licence_in_the_browser(client, licensing_officer, importer_account):
    client.force_login(licensing_officer)
    response = client.post(reverse("agencies:licence_new"), FORM)
    licence = Licence.objects.get()
    assert response.status_code == 302 and response.url == reverse("agencies:licence", args=[licence.pk])
    assert (licence.holder.eori, licence.quantity_unit, licence.hs_prefixes) == (
        IMPORTER_EORI,
        "KGM",
        ["2601", "2612"],
    )
    assert licence.created_by == licensing_officer


def test_a_registration_the_service_refuses_is_shown_beside_its_field_with_a_summary(
    client, licensing_officer, importer_account
):
    client.force_login(licensing_officer)
    response = client.post(
        reverse("agencies:licence_new"), {**FORM, "quantity_allowance": "", "holder": "GB1"}
    )
    assert response.status_code == 400
    page = html(response)
    assert 'id="error-summary"' in page
    assert "No trader account has the EORI GB1." in page
    assert not Licence.objects.exists()


def test_the_issuing_agency_revokes_with_a_reason_and_another_agency_cannot(
    client, oil, licensing_officer, plant_officer
):
    client.force_login(plant_officer)
    assert "Revoke this licence" not in html(client.get(reverse("agencies:licence", args=[oil.pk])))
    assert client.post(reverse("agencies:licence_revoke", args=[oil.pk]), {"reason": "x"}).status_code == 404
    client.force_login(licensing_officer)
    empty = client.post(reverse("agencies:licence_revoke", args=[oil.pk]), {"reason": ""})
    assert empty.status_code == 400 and 'id="error-summary"' in html(empty)
    done = client.post(reverse("agencies:licence_revoke", args=[oil.pk]), {"reason": "Holder wound up"})
    assert done.status_code == 302
    oil.refresh_from_db()
    assert oil.revoke_reason == "Holder wound up"
    assert list(oil.usages.values_list("kind", flat=True)) == [UsageKind.ISSUE, UsageKind.REVOKE]


def test_the_review_page_shows_the_licence_findings_linking_to_the_licence(
    client, importer, oil, licensing_officer, django_capture_on_commit_callbacks
):
    documents = [
        {
            "code": "9100",
            "reference": "GBOIL000002-0001",
            "status": "AC",
            "write_off_quantity": "600",
            "write_off_unit": "KGM",
        }
    ]
    declaration = lodge(
        importer, payload_with(item(1, "26121010", documents=documents)), django_capture_on_commit_callbacks
    )
    review = review_of(declaration, "import-licensing")
    client.force_login(licensing_officer)
    page = html(client.get(reverse("agencies:review", args=[review.pk])))
    assert "Licences on file" in page
    assert "Licence GBOIL000002-0001 has 500 kg left; this item writes off 600 kg." in page
    assert reverse("agencies:licence", args=[oil.pk]) in page


def test_the_licence_page_shows_the_write_off_linking_to_the_declaration_for_those_who_see_it(
    client, importer, oil, plant_officer, django_capture_on_commit_callbacks
):
    documents = [{"code": "9100", "reference": "GBOIL000002-0001", "status": "AC"}]
    declaration = lodge(
        importer, payload_with(item(1, "26121010", documents=documents)), django_capture_on_commit_callbacks
    )
    link = reverse("declarations:detail", args=[declaration.mrn])
    client.force_login(importer)
    page = html(client.get(reverse("agencies:licence", args=[oil.pk])))
    assert "Written off" in page and link in page and "400 KGM" in page
    client.force_login(plant_officer)  # not routed to plant health: the MRN, not a link
    page = html(client.get(reverse("agencies:licence", args=[oil.pk])))
    assert declaration.mrn in page and link not in page
