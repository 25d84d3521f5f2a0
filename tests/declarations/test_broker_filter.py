"""A broker lists one client's declarations at a time (page and API); never another trader's."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.access import accounts_member_of
from declarations import services
from declarations.canonical import PartyData, PartyRole
from declarations.models import Channel, Declaration

from ..agencies.fixtures import client_for
from ..conftest import BROKER_EORI, EXPORTER_EORI, IMPORTER_EORI
from .test_views import declaration_data

pytestmark = pytest.mark.django_db


def lodge_for(broker, client_eori: str, lrn: str) -> Declaration:
    data = declaration_data(lrn, eori=client_eori)
    data.representation_code = "2"
    data.parties = [
        PartyData(PartyRole.DECLARANT, eori=BROKER_EORI),
        PartyData(PartyRole.IMPORTER, eori=client_eori),
    ]
    return services.declaration_lodge(user=broker, data=data, channel=Channel.API_JSON).declaration


@pytest.fixture
def two_clients(broker, importer_account, exporter_account):
    return (
        lodge_for(broker, IMPORTER_EORI, "FOR-IMPORTER"),
        lodge_for(broker, EXPORTER_EORI, "FOR-EXPORTER"),
    )


def test_broker_picks_a_client_from_the_accounts_it_acts_for(client, broker, two_clients, importer_account):
    client.force_login(broker)

    text = client.get(reverse("declarations:list")).content.decode()

    assert '<select name="trader_account"' in text
    assert "Clippers Import Ltd (GB553202734852)" in text and "Sports Goods Export Ltd" in text
    assert "Unrelated Trading" not in text


def test_broker_lists_only_the_chosen_clients_declarations(client, broker, two_clients, importer_account):
    for_importer, for_exporter = two_clients
    client.force_login(broker)

    text = client.get(reverse("declarations:list"), {"trader_account": importer_account.pk}).content.decode()

    assert for_importer.mrn in text and for_exporter.mrn not in text


def test_a_foreign_account_lists_nothing(client, broker, two_clients, outsider):
    foreign = accounts_member_of(outsider).get()
    client.force_login(broker)

    response = client.get(reverse("declarations:list"), {"trader_account": foreign.pk})

    text = response.content.decode()
    assert "No declarations match." in text
    assert all(d.mrn not in text for d in two_clients)
    assert "Select a valid choice" in text


def test_a_trader_with_one_account_gets_no_client_select(client, importer):
    client.force_login(importer)
    assert 'name="trader_account"' not in client.get(reverse("declarations:list")).content.decode()


def test_list_query_count_with_the_client_filter_does_not_grow(
    client, broker, importer_account, exporter_account, django_assert_num_queries
):
    lodge_for(broker, IMPORTER_EORI, "QC-1")
    client.force_login(broker)
    url = reverse("declarations:list")
    params = {"trader_account": importer_account.pk}
    with CaptureQueriesContext(connection) as first:
        assert client.get(url, params).status_code == 200
    for n in range(2, 8):
        lodge_for(broker, IMPORTER_EORI, f"QC-{n}")
        lodge_for(broker, EXPORTER_EORI, f"QX-{n}")

    with django_assert_num_queries(len(first)):
        text = client.get(url, params).content.decode()
    assert text.count("QC-") == 7 and "QX-" not in text


def test_api_filters_by_client_id_or_eori_and_never_leaks(broker, two_clients, importer_account, outsider):
    api = client_for(broker)
    by_id = api.get("/api/v1/declarations", {"trader_account": importer_account.pk}).json()
    by_eori = api.get("/api/v1/declarations", {"trader_account": IMPORTER_EORI.lower()}).json()
    assert [d["lrn"] for d in by_id["results"]] == ["FOR-IMPORTER"]
    assert [d["lrn"] for d in by_eori["results"]] == ["FOR-IMPORTER"]

    foreign = accounts_member_of(outsider).get()
    assert api.get("/api/v1/declarations", {"trader_account": foreign.pk}).json()["count"] == 0
    # The outsider asking for the broker's client sees nothing either.
    leak = client_for(outsider).get("/api/v1/declarations", {"trader_account": importer_account.pk}).json()
    assert leak["count"] == 0
