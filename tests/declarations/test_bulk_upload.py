"""The upload page without JavaScript: many files posted at once, one answer per file.

Each file is lodged on its own (one transaction each), so a bad file never undoes a good one; a
hostile batch (too many files, too large, archives, DOCTYPE, the same file twice) gets an answer
per file or one clear refusal, never a 500.
"""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from declarations.api.throttling import LodgementThrottle, ValidationThrottle
from declarations.models import Channel, Declaration

from ..conftest import SAMPLES, TT1
from .test_conformance import TT1_PLACEHOLDER, TT1_TESTER_EORI

pytestmark = pytest.mark.django_db

URL = reverse("declarations:upload")
IM001A = SAMPLES / "imports" / "TT_IM001a__Step1_TT_IM001a.xml"
TT1_NETMASS = (
    TT1 / "Imports/Rejected/Obligation_Rejection/Declaration/TT1_IM_v2.02_Rejected_Obligation_Netmass.xml"
)
DOCTYPE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'


def xml(name: str, body: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="application/xml")


def with_lrn(lrn: str) -> bytes:
    return IM001A.read_bytes().replace(b"7847767E1WB6", lrn.encode())


def netmass() -> bytes:
    return TT1_NETMASS.read_bytes().replace(TT1_PLACEHOLDER, TT1_TESTER_EORI)


@pytest.fixture
def signed_in(client, broker):
    client.force_login(broker)
    return client


def results(response) -> list:
    return response.context["results"]


def test_a_mixed_batch_lodges_the_good_files_and_answers_each(signed_in):
    response = signed_in.post(
        URL,
        {
            "xml_files": [
                xml("one.xml", with_lrn("BULK-1")),
                xml("bad.xml", netmass()),
                xml("two.xml", with_lrn("BULK-2")),
            ]
        },
    )
    assert response.status_code == 400  # the page leads with what needs attention
    outcomes = [(r.name, r.outcome) for r in results(response)]
    assert outcomes == [("one.xml", "accepted"), ("bad.xml", "refused"), ("two.xml", "accepted")]
    stored = {d.lrn: d for d in Declaration.objects.all()}
    assert set(stored) == {"BULK-1", "BULK-2"}
    assert {d.channel for d in stored.values()} == {Channel.WEB_XML}
    page = response.content.decode()
    for r in results(response):
        if r.mrn:
            assert reverse("declarations:detail", args=[r.mrn]) in page
    # The refused file: its error with the WCO element and data element apart.
    assert "67A/68A[1]/23A/65A" in page
    assert "NetNetWeightMeasure (DE 6/1)" in page
    assert "net_mass_missing" in page
    assert "1 of 3 files needs your attention" in page


def test_the_same_file_twice_is_lodged_once_and_the_second_returns_the_first(signed_in):
    body = with_lrn("TWICE-1")
    response = signed_in.post(URL, {"xml_files": [xml("a.xml", body), xml("a-again.xml", body)]})
    first, second = results(response)
    assert (first.outcome, second.outcome) == ("accepted", "duplicate")
    assert first.mrn == second.mrn == Declaration.objects.get().mrn
    assert response.status_code == 200
    assert "Lodged before with the same LRN and content" in response.content.decode()


def test_one_accepted_file_goes_straight_to_its_declaration(signed_in):
    response = signed_in.post(URL, {"xml_files": [xml("one.xml", IM001A.read_bytes())]})
    declaration = Declaration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("declarations:detail", args=[declaration.mrn])


def test_check_only_answers_what_lodging_would_and_lodges_nothing(signed_in):
    response = signed_in.post(
        URL,
        {"action": "check", "xml_files": [xml("good.xml", IM001A.read_bytes()), xml("bad.xml", netmass())]},
    )
    assert [(r.outcome, r.lodgement_status) for r in results(response)] == [("valid", 201), ("refused", 400)]
    assert not Declaration.objects.exists()
    page = response.content.decode()
    assert "Lodging it would be accepted. Nothing was lodged." in page
    assert "Lodging it would be refused: the API would answer" in page


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (DOCTYPE, "doctype"),
        (b"", "empty"),
        (b"not xml at all", "not_well_formed"),
        (b"\xff\xfe\x00garbage", "unsupported_encoding"),
    ],
    ids=["doctype", "empty", "text", "binary"],
)
def test_a_hostile_file_is_refused_on_its_own_line_beside_a_good_one(signed_in, body, code):
    response = signed_in.post(
        URL, {"xml_files": [xml("evil.xml", body), xml("good.xml", with_lrn("GOOD-1"))]}
    )
    evil, good = results(response)
    assert (evil.outcome, evil.errors[0]["code"]) == ("refused", code)
    assert good.outcome == "accepted"
    assert Declaration.objects.get().lrn == "GOOD-1"


def test_archives_and_zip_bombs_are_named_and_never_unpacked(signed_in):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("huge.xml", b"<" + b"a" * (20 * 1024 * 1024))  # 20 MiB that compress to kilobytes
    gzipped = gzip.compress(IM001A.read_bytes())
    response = signed_in.post(
        URL, {"xml_files": [xml("bomb.zip", bomb.getvalue()), xml("sample.xml.gz", gzipped)]}
    )
    assert [(r.outcome, r.errors[0]["code"]) for r in results(response)] == [
        ("refused", "archive"),
        ("refused", "archive"),
    ]
    assert "compressed archive" in response.content.decode()


def test_an_oversized_file_is_refused_alone(signed_in, settings):
    settings.SW_MAX_XML_BYTES = 10_000
    response = signed_in.post(
        URL, {"xml_files": [xml("big.xml", b"<" + b" " * 20_000), xml("good.xml", with_lrn("SMALL-1"))]}
    )
    big, good = results(response)
    assert (big.outcome, big.errors[0]["code"], big.lodgement_status) == ("refused", "too_large", 413)
    assert good.outcome == "refused"  # the sample itself is larger than this tiny cap
    assert good.errors[0]["code"] == "too_large"


def test_more_files_than_a_batch_takes_is_one_clear_refusal(signed_in, settings):
    settings.SW_BULK_MAX_FILES = 3
    response = signed_in.post(URL, {"xml_files": [xml(f"{n}.xml", with_lrn(f"MANY-{n}")) for n in range(4)]})
    assert response.status_code == 400
    assert "You chose 4 files; at most 3 can be sent in one go." in response.content.decode()
    assert not Declaration.objects.exists()


def test_hundreds_of_files_past_what_django_parses_are_refused_clearly_not_with_a_bare_400(
    signed_in, settings
):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 100
    response = signed_in.post(URL, {"xml_files": [xml(f"{n}.xml", b"<a/>") for n in range(300)]})
    assert response.status_code == 400
    assert "files can be sent in one go" in response.content.decode()
    assert not Declaration.objects.exists()


def test_a_batch_over_the_total_size_is_refused_before_it_is_read(signed_in, settings):
    settings.SW_BULK_MAX_BYTES = 1000
    response = signed_in.post(URL, {"xml_files": [xml("a.xml", b"<a>" + b" " * 200_000 + b"</a>")]})
    assert response.status_code == 413
    assert "at most 1000" in response.content.decode() or "at most 1,000" in response.content.decode()
    assert not Declaration.objects.exists()


def test_no_file_chosen_is_a_field_error(signed_in):
    response = signed_in.post(URL, {"action": "lodge"})
    assert response.status_code == 400
    assert "Choose at least one XML file." in response.content.decode()


def test_the_page_still_checks_the_csrf_token(client, broker):
    client.force_login(broker)
    client.handler.enforce_csrf_checks = True
    response = client.post(URL, {"xml_files": [xml("one.xml", IM001A.read_bytes())]})
    assert response.status_code == 403
    assert not Declaration.objects.exists()


def test_files_past_the_lodgement_rate_are_not_sent_and_say_when_to_retry(signed_in, monkeypatch):
    monkeypatch.setattr(LodgementThrottle, "THROTTLE_RATES", {"lodgement": "2/minute"})
    from django.core.cache import cache

    cache.clear()
    response = signed_in.post(URL, {"xml_files": [xml(f"{n}.xml", with_lrn(f"RATE-{n}")) for n in range(4)]})
    cache.clear()
    assert [r.outcome for r in results(response)] == ["accepted", "accepted", "not_sent", "not_sent"]
    assert Declaration.objects.count() == 2
    assert "Send this file again in" in response.content.decode()


def test_checks_count_against_the_validation_rate(signed_in, monkeypatch):
    monkeypatch.setattr(ValidationThrottle, "THROTTLE_RATES", {"validation": "1/minute"})
    from django.core.cache import cache

    cache.clear()
    response = signed_in.post(
        URL,
        {
            "action": "check",
            "xml_files": [xml("a.xml", IM001A.read_bytes()), xml("b.xml", IM001A.read_bytes())],
        },
    )
    cache.clear()
    assert [r.outcome for r in results(response)] == ["valid", "not_sent"]


def test_a_file_failing_unexpectedly_keeps_the_others_answers(signed_in, monkeypatch):
    from declarations import services

    real = services.declaration_lodge_xml

    def flaky(*, user, body, channel):
        if b"BOOM-1" in body:
            raise RuntimeError("disk on fire")
        return real(user=user, body=body, channel=channel)

    monkeypatch.setattr(services, "declaration_lodge_xml", flaky)
    response = signed_in.post(
        URL, {"xml_files": [xml("good.xml", with_lrn("FINE-1")), xml("boom.xml", with_lrn("BOOM-1"))]}
    )
    good, boom = results(response)
    assert good.outcome == "accepted"
    assert (boom.outcome, boom.errors[0]["code"]) == ("refused", "server_error")
    assert "disk on fire" not in response.content.decode()
    assert Declaration.objects.get().lrn == "FINE-1"


def test_a_hostile_file_name_is_shown_as_text(signed_in):
    response = signed_in.post(
        URL, {"xml_files": [xml("<script>alert(1)</script>.xml", b"nope"), xml("b.xml", b"")]}
    )
    page = response.content.decode()
    assert "<script>alert(1)" not in page
    # Django keeps the part after the last slash; what is left is shown escaped.
    name = results(response)[0].name
    assert "<" in name or ">" in name
    assert "&gt;.xml" in page


def test_an_outsider_cannot_lodge_for_the_importer_through_a_batch(
    client, outsider, importer_account, broker_account
):
    client.force_login(outsider)
    response = client.post(
        URL, {"xml_files": [xml("a.xml", with_lrn("OUT-1")), xml("b.xml", with_lrn("OUT-2"))]}
    )
    assert {r.errors[0]["code"] for r in results(response)} == {"not_authorised_declarant"}
    assert not Declaration.objects.exists()
