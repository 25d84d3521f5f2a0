"""Who may see a declaration: re-lodging an LRN, and a broker whose representation was revoked."""

from __future__ import annotations

import pytest

from accounts.access import account_revoke_representative
from declarations.models import Declaration
from tests.agencies.fixtures import client_for
from tests.conftest import BROKER_EORI, IMPORTER_EORI

from .payloads import import_payload

pytestmark = pytest.mark.django_db


def lodge(user, payload):
    response = client_for(user).post("/api/v1/declarations", payload, format="json")
    assert response.status_code == 201, response.json()
    return Declaration.objects.get(mrn=response.json()["mrn"])


def as_broker_for_importer(**changes):
    """The broker's own account declares, for the importer (indirect representation)."""
    payload = import_payload(**changes)
    payload["parties"][0] = {"role": "declarant", "eori": BROKER_EORI}
    return payload


# --- the same LRN again --------------------------------------------------------------------------


def test_representative_relodging_an_identical_declaration_it_may_not_read_gets_a_409_without_the_mrn(
    importer, broker
):
    first = lodge(importer, import_payload())  # declarant: the importer's own account

    response = client_for(broker).post("/api/v1/declarations", import_payload(), format="json")

    assert response.status_code == 409
    [error] = response.json()["errors"]
    assert error["code"] == "lrn_conflict"
    assert first.lrn in error["message"]
    assert first.mrn not in response.content.decode()
    assert Declaration.objects.count() == 1


def test_representative_relodging_different_content_is_not_told_the_mrn_either(importer, broker):
    first = lodge(importer, import_payload())

    response = client_for(broker).post(
        "/api/v1/declarations", import_payload(invoice_amount="1600"), format="json"
    )

    assert response.status_code == 409
    assert first.mrn not in response.content.decode()


def test_member_relodging_different_content_is_told_which_declaration_holds_the_lrn(importer):
    first = lodge(importer, import_payload())

    response = client_for(importer).post(
        "/api/v1/declarations", import_payload(invoice_amount="1600"), format="json"
    )

    assert response.status_code == 409
    assert first.mrn in response.json()["errors"][0]["message"]


def test_representative_relodging_what_it_lodged_itself_gets_the_first_declaration(broker):
    first = lodge(broker, import_payload())

    response = client_for(broker).post("/api/v1/declarations", import_payload(), format="json")

    assert response.status_code == 200
    assert response.json()["mrn"] == first.mrn


# --- a revoked representation ----------------------------------------------------------------------


def test_broker_loses_what_it_lodged_for_an_account_once_the_representation_is_revoked(
    client, broker, importer_account
):
    for_importer = lodge(broker, import_payload(lrn="REP-1"))  # declarant: the importer's account
    own = lodge(broker, as_broker_for_importer(lrn="OWN-1"))  # declarant: the broker's own account
    api = client_for(broker)
    assert api.get(f"/api/v1/declarations/{for_importer.mrn}").status_code == 200

    account_revoke_representative(account=importer_account, user=broker)

    listed = {row["mrn"] for row in api.get("/api/v1/declarations").json()["results"]}
    assert listed == {own.mrn}  # its own account's declaration stays
    for path in ("", "/xml", "/release-note"):
        assert api.get(f"/api/v1/declarations/{for_importer.mrn}{path}").status_code == 404
    client.force_login(broker)
    assert client.get(f"/declarations/{for_importer.mrn}/").status_code == 404
    assert for_importer.mrn not in client.get("/declarations/").content.decode()
    assert client.get(f"/declarations/{own.mrn}/").status_code == 200


def test_broker_with_a_revoked_representation_may_no_longer_lodge_for_the_account(broker, importer_account):
    account_revoke_representative(account=importer_account, user=broker)

    response = client_for(broker).post("/api/v1/declarations", import_payload(), format="json")

    assert response.status_code == 400
    assert {e["code"] for e in response.json()["errors"]} == {"not_authorised_declarant"}


def test_representation_revoked_then_granted_again_restores_access(broker, importer_account):
    from accounts.access import account_authorise_representative

    declaration = lodge(broker, import_payload())
    account_revoke_representative(account=importer_account, user=broker)
    account_authorise_representative(account=importer_account, user=broker)

    assert client_for(broker).get(f"/api/v1/declarations/{declaration.mrn}").status_code == 200


def test_importer_still_sees_what_its_former_broker_lodged(broker, importer, importer_account):
    declaration = lodge(broker, import_payload())
    account_revoke_representative(account=importer_account, user=broker)

    assert client_for(importer).get(f"/api/v1/declarations/{declaration.mrn}").status_code == 200
    assert (
        IMPORTER_EORI in client_for(importer).get(f"/api/v1/declarations/{declaration.mrn}").content.decode()
    )
