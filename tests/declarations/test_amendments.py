"""Amendments and cancellations through the WCO DMS channel, attacked; versions under races."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from declarations.amendments import declaration_amend
from declarations.api.serializers import DeclarationInputSerializer
from declarations.models import Channel, Declaration, DeclarationResponse, DeclarationVersion
from declarations.wco.response import response_schema_errors
from singlewindow.models import AuditEvent
from tests.concurrency import run_together

from .payloads import import_payload

ENVELOPE = """<?xml version="1.0" encoding="UTF-8"?>
<md:MetaData xmlns:md="urn:wco:datamodel:WCO:DocumentMetaData-DMS:2" xmlns="urn:wco:datamodel:WCO:DEC-DMS:2">
<md:WCODataModelVersionCode>3.6</md:WCODataModelVersionCode>
<md:WCOTypeName>DEC</md:WCOTypeName>
<md:ResponsibleCountryCode>GB</md:ResponsibleCountryCode>
<md:ResponsibleAgencyName>HMRC</md:ResponsibleAgencyName>
<md:AgencyAssignedCustomizationVersionCode>v2.1</md:AgencyAssignedCustomizationVersionCode>
<Declaration>
<FunctionCode>{function}</FunctionCode>
<FunctionalReferenceID>AMD-1</FunctionalReferenceID>
<ID>{mrn}</ID>
<TypeCode>{type}</TypeCode>
<AdditionalInformation><StatementDescription>Fix</StatementDescription><StatementTypeCode>AES</StatementTypeCode>
</AdditionalInformation>
{amendments}
{body}
</Declaration>
</md:MetaData>"""


def pointer(code: str, sequence: int | None = None, tag: str = "") -> str:
    seq = f"<SequenceNumeric>{sequence}</SequenceNumeric>" if sequence is not None else ""
    tag_id = f"<TagID>{tag}</TagID>" if tag else ""
    return f"<Pointer>{seq}<DocumentSectionCode>{code}</DocumentSectionCode>{tag_id}</Pointer>"


def amendment(*pointers: str, reason: str = "28") -> str:
    return f"<Amendment><ChangeReasonCode>{reason}</ChangeReasonCode>{''.join(pointers)}</Amendment>"


def net_mass_of(item: int, mass: str) -> tuple[str, str]:
    pointed = amendment(
        pointer("42A"), pointer("67A"), pointer("68A", item), pointer("23A"), pointer("65A", 1, "128")
    )
    body = (
        f"<GoodsShipment><GovernmentAgencyGoodsItem><SequenceNumeric>{item}</SequenceNumeric>"
        f"<Commodity><GoodsMeasure><NetNetWeightMeasure>{mass}</NetNetWeightMeasure></GoodsMeasure>"
        "</Commodity></GovernmentAgencyGoodsItem></GoodsShipment>"
    )
    return pointed, body


def message(
    mrn: str, amendments: str = "", body: str = "", function: str = "13", type_code: str = "COR"
) -> bytes:
    return ENVELOPE.format(
        function=function, mrn=mrn, type=type_code, amendments=amendments, body=body
    ).encode()


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def post_xml(user: Any, body: bytes, url: str = "/api/v1/declarations") -> Any:
    return client_for(user).post(url, body, content_type="application/xml")


@pytest.fixture
def lodged(importer: Any) -> Declaration:
    response = client_for(importer).post("/api/v1/declarations", import_payload(lrn="AMD-1"), format="json")
    assert response.status_code == 201, response.json()
    return Declaration.objects.get(mrn=response.json()["mrn"])


@pytest.mark.django_db
def test_an_xml_amendment_addressed_by_the_mrn_changes_the_net_mass(importer, lodged):
    pointed, body = net_mass_of(1, "99.5")
    response = post_xml(importer, message(lodged.mrn, pointed, body))
    assert response.status_code == 201, response.json()
    assert response.json()["amendment"]["changes"][0]["path"] == "items.1.net_mass"
    lodged.refresh_from_db()
    assert lodged.version == 2
    assert str(lodged.items.get(sequence=1).net_mass) == "99.500"
    newest = DeclarationResponse.objects.filter(declaration=lodged).order_by("-pk").first()
    assert (newest.kind, newest.function_code, newest.version) == ("accepted", "01", 2), (
        "the trader's software is told the amended version stands"
    )
    assert response_schema_errors(newest.body.encode()) == []


@pytest.mark.django_db
def test_an_amendment_pointing_at_an_item_that_does_not_exist_is_refused_with_where(importer, lodged):
    pointed, body = net_mass_of(7, "10")
    response = post_xml(importer, message(lodged.mrn, pointed, body))
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["code"], error["pointer"]) == ("amendment_target_missing", "42A/06A[1]")
    assert DeclarationVersion.objects.filter(declaration=lodged).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pointers", "code"),
    [
        ((pointer("67A"),), "amendment_pointer_invalid"),  # not from the declaration
        ((pointer("42A"), pointer("99Z")), "amendment_pointer_invalid"),  # no such class
        ((pointer("42A"), pointer("67A", 1, "XXX")), "amendment_pointer_invalid"),  # no such tag
        ((pointer("42A", 1, "D026"),), "amendment_not_allowed"),  # the LRN (tag D026)
        ((pointer("42A"), pointer("67A"), pointer("68A", 0)), "amendment_pointer_invalid"),  # sequence 0
    ],
)
def test_forged_pointers_are_refused_with_a_clear_error(importer, lodged, pointers, code):
    response = post_xml(importer, message(lodged.mrn, amendment(*pointers)))
    assert response.status_code == 400, response.json()
    assert code in {e["code"] for e in response.json()["errors"]}
    assert DeclarationVersion.objects.filter(declaration=lodged).count() == 1


@pytest.mark.django_db
def test_another_traders_declaration_cannot_be_reached_by_mrn_or_lrn(exporter, lodged):
    pointed, body = net_mass_of(1, "10")
    for url in ("/api/v1/declarations", f"/api/v1/declarations/{lodged.mrn}/amendments"):
        response = post_xml(exporter, message(lodged.mrn, pointed, body), url)
        assert response.status_code == 404, response.json()
    lodged.refresh_from_db()
    assert lodged.version == 1


@pytest.mark.django_db
def test_a_message_about_another_portal_declaration_posted_to_this_one_is_refused(importer, lodged):
    other = client_for(importer).post("/api/v1/declarations", import_payload(lrn="AMD-2"), format="json")
    pointed, body = net_mass_of(1, "10")
    response = post_xml(
        importer, message(other.json()["mrn"], pointed, body), f"/api/v1/declarations/{lodged.mrn}/amendments"
    )
    assert (response.status_code, response.json()["errors"][0]["code"]) == (400, "declaration_mismatch")


@pytest.mark.django_db
def test_function_code_14_cancels_and_a_cancelled_declaration_takes_no_amendment(importer, lodged):
    response = post_xml(importer, message(lodged.mrn, function="14", type_code="INV"))
    assert response.status_code == 200, response.json()
    lodged.refresh_from_db()
    assert lodged.status == "cancelled"
    pointed, body = net_mass_of(1, "10")
    again = post_xml(importer, message(lodged.mrn, pointed, body))
    assert (again.status_code, again.json()["errors"][0]["code"]) == (409, "declaration_state")


@pytest.mark.django_db
def test_an_unknown_function_code_is_refused_pointing_at_it(importer, lodged):
    response = post_xml(importer, message(lodged.mrn, function="13", type_code="XYZ"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "42A FunctionCode"


@pytest.mark.django_db
def test_a_huge_amendment_is_stored_whole_and_its_difference_cut_for_display(importer):
    payload = import_payload(lrn="AMD-HUGE")
    template = payload["items"][0]
    payload["items"] = [{**template, "sequence": n, "description": f"goods {n}"} for n in range(1, 400)]
    payload["goods_item_quantity"] = 399
    response = client_for(importer).post("/api/v1/declarations", payload, format="json")
    assert response.status_code == 201, response.json()
    declaration = Declaration.objects.get(mrn=response.json()["mrn"])
    for item in payload["items"]:
        item["description"] = f"amended goods {item['sequence']}"
        item["net_mass"] = "1.5"
    amended = client_for(importer).post(
        f"/api/v1/declarations/{declaration.mrn}/amendments", {"declaration": payload}, format="json"
    )
    assert amended.status_code == 201, amended.json()
    assert len(amended.json()["amendment"]["changes"]) == 798  # every change, in the answer
    event = AuditEvent.objects.get(action="declarations.declaration.amended", object_id=declaration.pk)
    assert (len(event.data["changes"]), event.data["changes_count"]) == (500, 798)
    assert len(DeclarationVersion.objects.get(declaration=declaration, number=2).data["items"]) == 399


@pytest.mark.fullstack
@pytest.mark.django_db(transaction=True)
def test_two_amendments_racing_get_distinct_versions_and_neither_is_lost(importer):
    response = client_for(importer).post(
        "/api/v1/declarations", import_payload(lrn="AMD-RACE"), format="json"
    )
    declaration = Declaration.objects.get(mrn=response.json()["mrn"])

    def amend_to(mass: str, expected: int | None) -> Any:
        payload = import_payload(lrn="AMD-RACE")
        payload["items"][0]["net_mass"] = mass
        serializer = DeclarationInputSerializer(data=payload)
        assert serializer.is_valid(), serializer.errors
        return declaration_amend(
            user=importer,
            declaration=declaration,
            data=serializer.to_declaration_data(),
            channel=Channel.API_JSON,
            reason="race",
            expected_version=expected,
        )

    # Without a version to compare, both land, one after the other: versions 2 and 3.
    results, failures = run_together([lambda: amend_to("11", None), lambda: amend_to("12", None)])
    assert failures == []
    assert sorted(r.version.number for r in results) == [2, 3]
    # Both amending version 3: one wins, the other is told someone amended first.
    results, failures = run_together([lambda: amend_to("21", 3), lambda: amend_to("22", 3)])
    assert [r.version.number for r in results] == [4]
    assert [getattr(f, "code", f) for f in failures] == ["version_conflict"]
    declaration.refresh_from_db()
    assert declaration.version == 4
    numbers = list(
        DeclarationVersion.objects.filter(declaration=declaration).values_list("number", flat=True)
    )
    assert numbers == [1, 2, 3, 4]


@pytest.mark.django_db
def test_versions_api_lists_who_amended_and_the_detail_names_them(importer, lodged):
    pointed, body = net_mass_of(1, "77")
    assert post_xml(importer, message(lodged.mrn, pointed, body)).status_code == 201
    versions = client_for(importer).get(f"/api/v1/declarations/{lodged.mrn}/versions").json()
    assert versions["version"] == 2
    assert [(v["number"], v["kind"], v["by"], v["channel"]) for v in versions["versions"]] == [
        (1, "original", importer.username, "api_json"),
        (2, "amendment", importer.username, "api_xml"),
    ]
    detail = client_for(importer).get(f"/api/v1/declarations/{lodged.mrn}").json()
    assert [v["number"] for v in detail["versions"]] == [1, 2]
    one = client_for(importer).get(f"/api/v1/declarations/{lodged.mrn}/versions/2").json()
    assert one["changes"][0]["path"] == "items.1.net_mass" and one["in_force"] is True
    assert (
        client_for(importer).get(f"/api/v1/declarations/{lodged.mrn}/versions/99999999999").status_code == 404
    )
    assert client_for(importer).get(f"/api/v1/declarations/{lodged.mrn}/diff?from=x&to=2").status_code == 400


def test_the_difference_matches_items_by_number_and_names_each_element():
    from declarations.versions import diff

    before = {
        "lrn": "A",
        "items": [{"sequence": 1, "net_mass": "5", "documents": []}, {"sequence": 2, "net_mass": "7"}],
    }
    after = {"lrn": "A", "items": [{"sequence": 2, "net_mass": "8"}, {"sequence": 3, "net_mass": "1"}]}
    changes = {c.path: (c.before, c.after) for c in diff(before, after)}
    assert changes == {
        "items.1.net_mass": ("5", ""),
        "items.2.net_mass": ("7", "8"),
        "items.3.net_mass": ("", "1"),
    }
    label = next(c.label for c in diff(before, after) if c.path == "items.2.net_mass")
    assert "2" in label and label != "items.2.net_mass"
