"""The DMS responses on the declaration page, and the account page's way to the endpoints."""

from __future__ import annotations

import pytest
from django.urls import reverse

from declarations.models import Declaration, DeclarationResponse
from tests.agencies.fixtures import client_for

from .payloads import import_payload

pytestmark = pytest.mark.django_db


def test_the_declaration_page_lists_its_responses_with_a_download(client, importer, outsider):
    answer = client_for(importer).post("/api/v1/declarations", import_payload(lrn="PAGE-1"), format="json")
    declaration = Declaration.objects.get(mrn=answer.json()["mrn"])
    response = DeclarationResponse.objects.get(declaration=declaration)
    client.force_login(importer)
    page = client.get(reverse("declarations:detail", args=[declaration.mrn])).content.decode()
    assert "Responses in the WCO DMS standard" in page
    link = reverse("api-dms-response", args=[response.pk])
    assert f'href="{link}"' in page
    download = client.get(link)
    assert download.status_code == 200 and download["Content-Type"] == "application/xml"
    client.force_login(outsider)
    assert client.get(link).status_code == 404


def test_the_account_page_leads_to_the_endpoints(client, importer):
    client.force_login(importer)
    page = client.get(reverse("account")).content.decode()
    assert reverse("response-endpoints") in page
    endpoints = client.get(reverse("response-endpoints"))
    assert endpoints.status_code == 200
    assert "Clippers Import" in endpoints.content.decode() or "GB553202734852" in endpoints.content.decode()
