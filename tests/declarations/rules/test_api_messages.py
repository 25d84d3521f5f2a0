"""The API's own messages are translated like the rules' (the catalog is filled in by translators)."""

from __future__ import annotations

import pytest
from django.utils.translation import trans_real
from rest_framework.test import APIClient

from ..payloads import import_payload

pytestmark = pytest.mark.django_db


def test_repeated_party_role_message_is_translated(importer, monkeypatch: pytest.MonkeyPatch) -> None:
    msgid = "Each party role may appear once; repeated: %(roles)s."
    catalog = trans_real.translation("fr")._catalog._catalogs[0]
    monkeypatch.setitem(catalog, msgid, "Chaque rôle n’apparaît qu’une fois ; répété : %(roles)s.")
    payload = import_payload()
    payload["parties"].append({"role": "importer", "eori": "GB553202734852"})
    client = APIClient()
    client.force_authenticate(importer)
    response = client.post("/api/v1/declarations", payload, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["field"], error["message"]) == (
        "parties",
        "Chaque rôle n’apparaît qu’une fois ; répété : importer.",
    )
