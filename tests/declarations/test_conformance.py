"""Every real HMRC sample lodged end to end: accepted, stored, downloaded, read back the same.

The reader's own conformance tests (tests/declarations/wco) check mapped values against the
annotated comments; these check the whole lodgement path on the demo data, as a user would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import User
from declarations.models import Declaration
from declarations.wco.reader import read_declaration

from ..conftest import SAMPLES, TT1

IMPORTS = sorted((SAMPLES / "imports").glob("*.xml"))
EXPORTS = sorted((SAMPLES / "exports").glob("*.xml"))
# The hmrc-tt1 declarations leave the tester's EORI as a placeholder; a tester puts its own in.
TT1_PLACEHOLDER = b"INSERTEORI"
TT1_TESTER_EORI = b"GB553202734852"

TT1_REJECTED = {
    "Imports/Rejected/Format_Rejection/Declaration/TT1_IM_v2.02_Rejected_Format.xml": (
        "item_sequence_range",
        "items.1.sequence",
    ),
    "Imports/Rejected/Obligation_Rejection/Declaration/TT1_IM_v2.02_Rejected_Obligation_Netmass.xml": (
        "net_mass_missing",
        "items.1.net_mass",
    ),
    "Imports/Rejected/Ref_Data_Rejection/Declaration/TT1_IM_v2.02_Rejected_RefData.xml": (
        "procedure_code_unknown",
        "items.1.procedure_code",
    ),
    "Exports/Rejected/Rejected_Format/Declaration/TT1_EX_v2.02_Rejected_Format.xml": ("lrn_too_long", "lrn"),
    "Exports/Rejected/Rejected_Obligation/Declaration/TT1_EX_v2.02_Rejected_Obligation_Exitoffice.xml": (
        "exit_office_missing",
        "exit_office",
    ),
    "Exports/Rejected/Rejected_Ref_Data/Declaration/TT1_EX_v2.02_Rejected_RefData.xml": (
        "exit_office_unknown",
        "exit_office",
    ),
}


@pytest.fixture
def demo_broker(db: None) -> APIClient:
    call_command("seed_demo")
    client = APIClient()
    client.force_authenticate(User.objects.get(username="broker"))
    return client


def lodge(client: APIClient, body: bytes):
    return client.post("/api/v1/declarations", body, content_type="application/xml")


def test_the_real_sample_set_has_29_imports_and_13_exports():
    assert (len(IMPORTS), len(EXPORTS)) == (29, 13)


@pytest.mark.parametrize("path", IMPORTS + EXPORTS, ids=lambda p: p.stem)
def test_real_sample_is_accepted_stored_and_downloads_as_the_same_declaration(demo_broker, path: Path):
    body = path.read_bytes()
    sent = read_declaration(body).data
    response = lodge(demo_broker, body)
    assert response.status_code == 201, response.json()
    stored = Declaration.objects.get(mrn=response.json()["mrn"])
    assert stored.items.count() == len(sent.items)
    assert stored.to_data().to_dict() == sent.to_dict()
    # The answer is built from the parts just stored, kept in memory: it says what reading it says.
    answered = {k: v for k, v in response.json().items() if k not in ("warnings", "response")}
    read = demo_broker.get(f"/api/v1/declarations/{stored.mrn}").json()
    assert answered == {k: v for k, v in read.items() if k != "versions"}

    xml = demo_broker.get(f"/api/v1/declarations/{stored.mrn}/xml")
    assert xml.status_code == 200
    again = read_declaration(xml.content)
    assert again.issues == []
    assert again.data.to_dict() == sent.to_dict()


@pytest.mark.parametrize("path", sorted(TT1.glob("*/Accepted/Declaration/*.xml")), ids=lambda p: p.stem)
def test_tt1_accepted_twin_is_accepted(demo_broker, path: Path):
    response = lodge(demo_broker, path.read_bytes().replace(TT1_PLACEHOLDER, TT1_TESTER_EORI))
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("relative", sorted(TT1_REJECTED), ids=lambda r: Path(r).stem)
def test_tt1_rejected_variant_is_rejected_for_the_reason_hmrc_gave(demo_broker, relative: str):
    code, field = TT1_REJECTED[relative]
    response = lodge(demo_broker, (TT1 / relative).read_bytes().replace(TT1_PLACEHOLDER, TT1_TESTER_EORI))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert (code, field) in {(e["code"], e.get("field")) for e in errors}, errors
    assert Declaration.objects.count() == 0


@pytest.mark.parametrize("path", sorted((SAMPLES / "malformed").glob("*.xml")), ids=lambda p: p.stem)
def test_malformed_sample_is_refused_with_a_clear_4xx(demo_broker, path: Path):
    response = lodge(demo_broker, path.read_bytes())
    assert 400 <= response.status_code < 500
    assert all(e["message"] for e in response.json()["errors"])
