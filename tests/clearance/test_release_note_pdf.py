"""The release note as a PDF: the declaration, each goods item, the containers and the code a gate
checks; the verification code set at release and kept by a refusal; who may download it."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from lxml import etree
from pypdf import PdfReader

from clearance.models import Outcome, ReleaseDecision
from clearance.verification import ALPHABET, verification_code_normalise
from declarations.models import Declaration
from declarations.models import Status as DeclarationStatus
from declarations.wco.writer import write_declaration

from ..agencies.fixtures import ROSES, agency_auto_decide, item, lodge, payload_with
from ..agencies.licence_fixtures import lodge_xml
from ..conftest import IMPORTER_EORI

pytestmark = pytest.mark.django_db

N851 = [{"code": "N851", "reference": "PHYTO-1", "status": "AE"}]


def pdf_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    return "\n".join(page.extract_text() for page in reader.pages)


def with_container(body: bytes, container: str, seal: str) -> bytes:
    """The message with one container (DE 7/10) and its seal (DE 7/18) on the consignment."""
    root = etree.fromstring(body)
    consignment = next(
        e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname == "Consignment"
    )
    ns = etree.QName(consignment).namespace
    equipment = etree.SubElement(consignment, f"{{{ns}}}TransportEquipment")
    etree.SubElement(equipment, f"{{{ns}}}SequenceNumeric").text = "1"
    etree.SubElement(equipment, f"{{{ns}}}ID").text = container
    seal_element = etree.SubElement(equipment, f"{{{ns}}}Seal")
    etree.SubElement(seal_element, f"{{{ns}}}SequenceNumeric").text = "1"
    etree.SubElement(seal_element, f"{{{ns}}}ID").text = seal
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.fixture
def released(importer, agencies, django_capture_on_commit_callbacks) -> Declaration:
    """Roses and more roses: plant health decides automatically, the system releases."""
    agency_auto_decide("plant-health")
    declaration = lodge(
        importer,
        payload_with(item(1, ROSES, documents=N851), item(2, ROSES, documents=N851), lrn="PDF-1"),
        django_capture_on_commit_callbacks,
    )
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.RELEASED
    return declaration


@pytest.fixture
def released_in_a_container(released, importer, django_capture_on_commit_callbacks) -> Declaration:
    """The same goods lodged as a WCO XML message that names container MSCU1234565, sealed."""
    data = released.to_data()
    data.lrn = "PDF-XML-1"
    body = with_container(write_declaration(data), "MSCU1234565", "SEAL-778899")
    declaration = lodge_xml(importer, body, django_capture_on_commit_callbacks)
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.RELEASED
    return declaration


def test_release_sets_a_grouped_random_verification_code(released):
    code = ReleaseDecision.objects.get(declaration=released).verification_code
    assert code is not None and len(code) == 14 and code.count("-") == 2
    assert all(c in ALPHABET for c in code.replace("-", ""))
    assert verification_code_normalise(code.lower().replace("-", " ")) == code


def test_a_refusal_has_no_verification_code_and_a_release_after_it_gets_one(
    importer, agencies, supervisor, django_capture_on_commit_callbacks
):
    from clearance.services import release_override

    from ..agencies.test_views import lodge_flowers_and_shavers

    declaration = lodge_flowers_and_shavers(importer, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        refused = release_override(
            declaration=declaration, supervisor=supervisor, outcome=Outcome.REFUSED, reason="Not today"
        )
    assert refused.verification_code is None
    assert ReleaseDecision.objects.get(declaration=declaration).verification_code is None

    with django_capture_on_commit_callbacks(execute=True):
        released = release_override(
            declaration=declaration, supervisor=supervisor, outcome=Outcome.RELEASED, reason="Checked again"
        )
    stored = ReleaseDecision.objects.get(declaration=declaration)
    assert stored.verification_code is not None and stored.verification_code == released.verification_code


def test_pdf_lists_mrn_parties_items_and_the_verification_code(client, released, importer):
    client.force_login(importer)
    code = ReleaseDecision.objects.get(declaration=released).verification_code

    response = client.get(reverse("clearance:release_note_pdf", args=[released.mrn]))

    text = pdf_text(response)
    assert response["Content-Disposition"] == f'attachment; filename="release-{released.mrn}.pdf"'
    for expected in (
        released.mrn,
        "Clippers Import Ltd",
        IMPORTER_EORI,
        "Goods released",
        code,
        f"/verify/{code}/",
    ):
        assert expected in text, expected
    assert text.count(f"goods {ROSES}") == 2 and ROSES in text
    assert f"Release note {released.mrn} · verification code {code} · page 1" in text  # on every page
    # Lodged as JSON: no container numbers to print, whatever the container indicator (DE 7/2) says.
    assert "MSCU" not in text
    expected = "no container numbers were declared" if released.container else "No containers declared."
    assert expected in text


def test_pdf_lists_the_containers_and_seals_of_an_xml_declaration(client, released_in_a_container, importer):
    client.force_login(importer)

    text = pdf_text(client.get(reverse("clearance:release_note_pdf", args=[released_in_a_container.mrn])))

    assert "MSCU1234565" in text and "SEAL-778899" in text
    assert released_in_a_container.mrn in text


def test_html_note_carries_the_code_too(client, released, importer):
    client.force_login(importer)
    code = ReleaseDecision.objects.get(declaration=released).verification_code

    text = client.get(reverse("clearance:release_note", args=[released.mrn])).content.decode()

    assert code in text and f"/verify/{code}/" in text


def test_declaration_page_offers_the_pdf_and_the_html(client, released, importer):
    client.force_login(importer)
    text = client.get(reverse("declarations:detail", args=[released.mrn])).content.decode()
    assert reverse("clearance:release_note_pdf", args=[released.mrn]) in text
    assert reverse("clearance:release_note", args=[released.mrn]) in text


def test_pdf_is_not_for_outsiders_officers_or_unreleased(client, released, outsider, plant_officer):
    url = reverse("clearance:release_note_pdf", args=[released.mrn])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(plant_officer)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
