"""Issue 11's help desk as an attacker tries it: a request's account must be one of its
declaration's, so that nobody else's members read about a declaration that is not theirs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from support.models import Category, ServiceRequest
from tests.support.conftest import lodge

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("account", ["exporter", "none"])
def test_a_request_about_a_declaration_is_refused_for_an_account_not_on_it(
    client, broker, importer_account, exporter_account, account
):
    declaration = lodge(broker, "HELP-BROKER-1")
    assert declaration.trader_account == importer_account
    # The broker acts for both the importer and the exporter: filing the importer's declaration
    # under the exporter would show its MRN and the answers to the exporter's members, and under
    # no account would keep it readable after the representation ended.
    client.force_login(broker)
    response = client.post(
        reverse("support:new"),
        {
            "category": Category.DECLARATION,
            "trader_account": exporter_account.pk if account == "exporter" else "",
            "subject": "Why in review?",
            "body": "Still in review.",
            "declaration": declaration.mrn,
        },
    )
    assert response.status_code == 200
    assert 'href="#id_trader_account"' in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_a_request_about_a_declaration_under_its_traders_account_is_opened(client, broker, importer_account):
    declaration = lodge(broker, "HELP-BROKER-2")
    client.force_login(broker)
    response = client.post(
        reverse("support:new"),
        {
            "category": Category.DECLARATION,
            "trader_account": importer_account.pk,
            "subject": "Why in review?",
            "body": "Still in review.",
            "declaration": declaration.mrn,
        },
    )
    assert response.status_code == 302
    assert ServiceRequest.objects.get().trader_account == importer_account
