"""The 6 real amendment and cancellation messages, each processed as its annotations say.

Each is sent after its original is lodged. Two originals are in the sample set under the same TT
number (TT_IM011a, TT_EX010a: the additional messages quote the original's LRN, so they are sent to
``POST declarations`` as they are, matched by that LRN since their ID is an MRN of HMRC's system).
The others' originals are not: TT_IM002c amends TT_IM002a (same scenario, its step a: the Chicago
Cocoa Company exporter, 55 packages of PK12345 marks, IG); TT_EX009a's annotation amends the status
of item 1's first licence, a dual-use authorisation X002 GBSIEE2E350002-0001, on a declaration like
TT_EX010a (same declarant); TT_IM016a's says item 1 holds three documents (C506, N935, C505) and
adds two. Those three are sent to ``POST declarations/{mrn}/amendments`` with the original built
as their annotations describe.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import User
from declarations.canonical import DocumentData, DocumentKind
from declarations.models import Declaration, DeclarationVersion, PostReleaseRequest, Status
from declarations.wco.reader import read_declaration
from declarations.wco.writer import write_declaration
from singlewindow.models import AuditEvent

from ..conftest import SAMPLES

CHANGES = SAMPLES / "amendments_cancellations"
SAMPLE_FILES = sorted(CHANGES.glob("*.xml"))

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker(db: None) -> APIClient:
    call_command("seed_demo")
    client = APIClient()
    client.force_authenticate(User.objects.get(username="broker"))
    return client


def _post(client: APIClient, url: str, body: bytes, capture: Any) -> Any:
    with capture(execute=True):
        return client.post(url, body, content_type="application/xml")


def _lodge(client: APIClient, body: bytes, capture: Any) -> Declaration:
    response = _post(client, "/api/v1/declarations", body, capture)
    assert response.status_code == 201, response.json()
    return Declaration.objects.get(mrn=response.json()["mrn"])


def _changes(response: Any) -> dict[str, tuple[str, str]]:
    return {c["path"]: (c["before"], c["after"]) for c in response.json()["amendment"]["changes"]}


def test_the_sample_set_has_4_amendments_and_2_cancellations():
    kinds = [b"<TypeCode>COR</TypeCode>" in p.read_bytes() for p in SAMPLE_FILES]
    assert (kinds.count(True), kinds.count(False)) == (4, 2)


def test_im011a_amendment_then_cancellation_as_the_annotations_say(
    broker, django_capture_on_commit_callbacks
):
    original = _lodge(
        broker,
        (SAMPLES / "imports" / "TT_IM011a__TT_IM011a.xml").read_bytes(),
        django_capture_on_commit_callbacks,
    )
    assert original.items.get().net_mass == 59

    # "Amend weight or quantity" (28): 68A[1] → 23A → 65A tag 128, NetNetWeightMeasure 62.
    body = (CHANGES / "TT_IM011a__TT_IM011a_Amendment.xml").read_bytes()
    response = _post(broker, "/api/v1/declarations", body, django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.json()
    assert response.json()["mrn"] == original.mrn  # matched by the LRN it quotes (7849431M0ZUP)
    assert _changes(response) == {"items.1.net_mass": ("59", "62")}
    original.refresh_from_db()
    assert original.version == 2
    assert original.items.get().net_mass == 62
    version = DeclarationVersion.objects.get(declaration=original, number=2)
    assert (version.kind, version.reason, version.reason_code) == ("amendment", "AMENDMENT", "28")
    assert version.source_body.startswith("<?xml")
    assert DeclarationVersion.objects.get(declaration=original, number=1).data["items"][0]["net_mass"] == "59"

    # "Declaration is no longer required" (1): "This is a duplicate declaration, please cancel".
    body = (CHANGES / "TT_IM011a__TT_IM011a_Cancellation.xml").read_bytes()
    response = _post(broker, "/api/v1/declarations", body, django_capture_on_commit_callbacks)
    assert response.status_code == 200, response.json()
    original.refresh_from_db()
    assert original.status == Status.CANCELLED
    event = AuditEvent.objects.get(action="declarations.declaration.cancelled", object_id=original.pk)
    assert event.data["reason"] == "This is a duplicate declaration, please cancel"
    assert event.data["reason_code"] == "1"
    assert not original.reviews.filter(
        withdrawn_at__isnull=True, status__in=["pending", "in_review"]
    ).exists()


def test_ex010a_cancellation_as_the_annotations_say(broker, django_capture_on_commit_callbacks):
    original = _lodge(
        broker,
        (SAMPLES / "exports" / "TT_EX010a__TT_EX010a.xml").read_bytes(),
        django_capture_on_commit_callbacks,
    )
    # "Type A declaration using Electronic Licensing to be followed by cancellation."
    body = (CHANGES / "TT_EX010a__TT_EX010a_Cancellation.xml").read_bytes()
    response = _post(broker, "/api/v1/declarations", body, django_capture_on_commit_callbacks)
    assert response.status_code == 200, response.json()
    original.refresh_from_db()
    assert original.status == Status.CANCELLED
    assert original.version == 1  # a cancellation is no new version of the content
    event = AuditEvent.objects.get(action="declarations.declaration.cancelled", object_id=original.pk)
    assert event.data["reason"] == "This is a duplicate, please can"
    assert event.data["message_reference"] == "U.7867523JNCOL"


def test_im002c_complex_multi_amendment_of_im002a(broker, django_capture_on_commit_callbacks):
    original = _lodge(
        broker,
        (SAMPLES / "imports" / "TT_IM002a__Step1_TT_IM002a.xml").read_bytes(),
        django_capture_on_commit_callbacks,
    )
    body = (CHANGES / "TT_IM002c__TT_IM002c_Complex_Multi_Amendment.xml").read_bytes()
    response = _post(
        broker, f"/api/v1/declarations/{original.mrn}/amendments", body, django_capture_on_commit_callbacks
    )
    assert response.status_code == 201, response.json()
    # TotalPackageQuantity (146) 55 → 53, the exporter's name (R031), city (241), line (239) and
    # postcode (245) to Detroit Cocoa Company, and the item's QuantityQuantity (144) 55 → 53.
    assert _changes(response) == {
        "total_package_quantity": ("55", "53"),
        "parties.exporter.name": ("Chicago Cocoa Company", "Detroit Cocoa Company"),
        "parties.exporter.street": ("10 Irwin Street", "101 Peterboro Avenue"),
        "parties.exporter.city": ("Chicago", "Detroit"),
        "parties.exporter.postcode": ("H81 4RG", "48201"),
        "items.1.package_count": ("55", "53"),
    }
    version = DeclarationVersion.objects.get(declaration=original, number=2)
    assert version.reason_code == "28"
    assert "Amend Exporter Name Tag R031" in version.reason


def test_ex009a_amends_the_licence_status_to_ep(broker, django_capture_on_commit_callbacks):
    data = read_declaration((SAMPLES / "exports" / "TT_EX010a__TT_EX010a.xml").read_bytes()).data
    assert data is not None
    data.lrn = "7867523Y8OFA"
    licence = DocumentData(
        kind=DocumentKind.ADDITIONAL, code="X002", reference="GBSIEE2E350002-0001", status="EE"
    )
    data.items[0].documents.insert(0, licence)
    original = _lodge(broker, write_declaration(data), django_capture_on_commit_callbacks)
    body = (CHANGES / "TT_EX009a__Step5_TT_EX009a_Amendment.xml").read_bytes()
    response = _post(
        broker, f"/api/v1/declarations/{original.mrn}/amendments", body, django_capture_on_commit_callbacks
    )
    assert response.status_code == 201, response.json()
    # "Amending Status code on licence to EP": 68A[1] → 02A[1] tag 360 (LPCOExemptionCode).
    assert _changes(response) == {"items.1.documents.1.status": ("EE", "EP")}
    assert DeclarationVersion.objects.get(declaration=original, number=2).reason_code == "25"


def test_im016a_adds_two_documents_and_reports_what_the_portal_does_not_record(
    broker, django_capture_on_commit_callbacks
):
    data = read_declaration((SAMPLES / "imports" / "TT_IM002a__Step1_TT_IM002a.xml").read_bytes()).data
    assert data is not None
    data.lrn = "TT_IM16a_original"
    item = data.items[0]
    keep = {"C506", "N935", "C505"}
    item.documents = [d for d in item.documents if d.kind is DocumentKind.PREVIOUS or d.code in keep]
    order = {"C506": 0, "N935": 1, "C505": 2}
    item.documents.sort(key=lambda d: (d.kind is DocumentKind.PREVIOUS, order.get(d.code, 9)))
    original = _lodge(broker, write_declaration(data), django_capture_on_commit_callbacks)
    before = copy.deepcopy(original.to_data().items[0].documents)
    body = (CHANGES / "TT_IM016a__TT_IM016a_Amendment.xml").read_bytes()
    response = _post(
        broker, f"/api/v1/declarations/{original.mrn}/amendments", body, django_capture_on_commit_callbacks
    )
    assert response.status_code == 201, response.json()
    changes = _changes(response)
    # Documents 4 and 5 added: 9WKS "See attached worksheet" AE and 955D "Form C&E955D completed" AE.
    assert changes["items.1.documents.4.code"] == ("", "9WKS")
    assert changes["items.1.documents.4.reference"] == ("", "See attached worksheet")
    assert changes["items.1.documents.4.status"] == ("", "AE")
    assert changes["items.1.documents.5.code"] == ("", "955D")
    assert changes["items.1.documents.5.reference"] == ("", "Form C&E955D completed")
    assert changes["items.1.documents.5.status"] == ("", "AE")
    original.refresh_from_db()
    documents = original.to_data().items[0].documents
    assert documents[:3] == before[:3]  # the three documents already there are untouched
    # The duty calculations (50A, 94A): tax line 1 gets its base, assessed and payable amounts; the
    # method of payment E it had stays (HMRC's "E again for consistency"); lines 2 to 4 are added.
    assert "items.1.tax_lines.1.method_of_payment" not in changes
    assert "items.1.tax_lines.1.tax_type" not in changes
    assert changes["items.1.tax_lines.1.base_quantity"] == ("", "111.11")
    assert changes["items.1.tax_lines.1.base_unit"] == ("", "GBP")
    assert changes["items.1.tax_lines.1.assessed_amount"] == ("", "111.22")
    assert changes["items.1.tax_lines.1.payable_amount"] == ("", "111.33")
    assert changes["items.1.tax_lines.2.method_of_payment"] == ("", "R")
    assert changes["items.1.tax_lines.4.tax_type"] == ("", "B00")
    assert changes["items.1.tax_lines.4.payable_amount"] == ("", "444.33")
    assert sum(1 for path in changes if ".tax_lines." in path) == 4 + 3 * 6
    lines = original.to_data().items[0].tax_lines
    assert [(t.tax_type, t.method_of_payment) for t in lines] == [
        ("A00", "E"),
        ("A00", "R"),
        ("B00", "E"),
        ("B00", "R"),
    ]
    # The statement UVC01 (03A 226/225) and the documents' names (D028) are not data the portal
    # records: each is a warning, the message is kept as received.
    warnings = response.json()["warnings"]
    assert {w["code"] for w in warnings} == {"amendment_not_recorded"}
    assert len(warnings) == 2 + 2  # D028 twice, UVC01's two tags
    assert PostReleaseRequest.objects.count() == 0


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.stem)
def test_every_sample_is_a_schema_valid_additional_message(path: Path):
    from declarations.wco.amendment import read_additional_message

    message = read_additional_message(path.read_bytes())
    assert message.issues == []
    assert message.kind in ("amendment", "cancellation")
