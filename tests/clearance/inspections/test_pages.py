"""The control pages as each person uses them, and as an attacker tries them: "not yours" is 404,
photos are real images only and reach only those who may see the inspection."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from agencies import services as agency_services
from clearance.inspections import services as controls
from clearance.inspections.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from clearance.models import ControlTask, FindingPhoto, InspectionFinding, Lane
from declarations.models import Declaration, Status
from tests.factories import TraderAccountFactory

from .conftest import JPEG, PNG, ROSES, TEA, in_an_hour, item, routed_in_lane

pytestmark = pytest.mark.django_db


def scheduled(declaration, supervisor):
    return controls.inspection_schedule(
        declaration=declaration,
        supervisor=supervisor,
        appointment=controls.Appointment(
            scheduled_for=in_an_hour(),
            place="Berth 4, inspection shed B",
            goods_location="GBAUFELGBA",
            instructions="The original invoice; container opened.",
            contact="Duty officer +44 20 7946 0000",
        ),
    )


def photo(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def red(importer, agencies, django_capture_on_commit_callbacks):
    return routed_in_lane(
        importer,
        Lane.RED,
        item(1, TEA),
        item(2, ROSES),
        lrn="PG-RED",
        capture=django_capture_on_commit_callbacks,
    )


def test_documentary_queue_is_customs_officers_with_aeo_traders_first(
    client, importer, exporter, agencies, customs_officer, plant_officer, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = routed_in_lane(importer, Lane.YELLOW, lrn="PG-Y1", capture=capture)
    aeo = routed_in_lane(importer, Lane.YELLOW, lrn="PG-Y2", capture=capture)
    trusted = TraderAccountFactory(eori="GB123456789012", name="Trusted Tea Ltd", aeo_tier="AEOF")
    Declaration.objects.filter(pk=aeo.pk).update(trader_account=trusted)
    client.force_login(customs_officer)
    page = client.get(reverse("clearance:controls")).content.decode()
    assert page.index(aeo.mrn) < page.index(first.mrn)
    for user in (plant_officer, importer):
        client.force_login(user)
        assert client.get(reverse("clearance:controls")).status_code == 404


def test_documentary_check_page_shows_goods_beside_the_form_and_records_once(
    client, importer, agencies, customs_officer, plant_officer, django_capture_on_commit_callbacks
):
    declaration = routed_in_lane(
        importer, Lane.YELLOW, lrn="PG-Y3", capture=django_capture_on_commit_callbacks
    )
    task = ControlTask.objects.get(declaration=declaration)
    url = reverse("clearance:control", args=[task.pk])
    client.force_login(plant_officer)
    assert client.get(url).status_code == 404
    client.force_login(customs_officer)
    page = client.get(url).content.decode()
    assert TEA in page and 'class="split__aside action-panel"' in page
    assert page.index(TEA) < page.index("Record the check")  # the goods come first, the form beside
    assert client.post(url, {"outcome": "non_compliant", "findings": ""}).status_code == 400
    response = client.post(url, {"outcome": "compliant"})
    assert response.status_code == 302
    declaration.refresh_from_db()
    assert declaration.status == Status.RELEASED
    again = client.post(url, {"outcome": "non_compliant", "findings": "late"}, follow=True)
    assert "already been recorded" in again.content.decode()
    task.refresh_from_db()
    assert task.outcome == "compliant"
    assert client.get(reverse("clearance:control", args=[999999])).status_code == 404


def test_supervisor_schedules_from_the_plan_with_the_goods_location_prefilled(
    client, importer, supervisor, customs_officer, red
):
    client.force_login(customs_officer)
    assert client.get(reverse("clearance:inspection_plan")).status_code == 404
    client.force_login(supervisor)
    assert red.mrn in client.get(reverse("clearance:inspection_plan")).content.decode()
    url = reverse("clearance:inspection_schedule", args=[red.mrn])
    page = client.get(url).content.decode()
    assert red.goods_location and red.goods_location in page
    past = client.post(url, {"action": "schedule", "scheduled_for": "2020-01-01T10:00", "place": "Shed B"})
    assert past.status_code == 400 and "in the future" in past.content.decode()
    when = timezone.localtime(in_an_hour()).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url,
        {
            "action": "schedule",
            "scheduled_for": when,
            "place": "Shed B",
            "instructions": "Invoice",
            "contact": "Jo",
        },
    )
    assert response.status_code == 302
    assert ControlTask.objects.get(declaration=red).inspection.place == "Shed B"
    cancel = client.post(url, {"action": "cancel", "reason": ""})
    assert cancel.status_code == 400


def test_trader_sees_where_when_and_what_to_present_and_customs_findings_only(
    client,
    importer,
    exporter,
    supervisor,
    customs_officer,
    plant_officer,
    red,
    django_capture_on_commit_callbacks,
):
    review = red.reviews.get(agency__code="plant-health")
    with django_capture_on_commit_callbacks(execute=True):
        agency_services.review_decide(review=review, officer=plant_officer, outcome="inspection_required")
    inspection = scheduled(red, supervisor)
    controls.finding_record(
        inspection_id=inspection.pk,
        officer=plant_officer,
        finding=controls.Finding(
            outcome="non_compliant", findings="Internal note: thrips suspected, lab sample 7."
        ),
    )
    controls.finding_record(
        inspection_id=inspection.pk,
        officer=customs_officer,
        finding=controls.Finding(outcome="non_compliant", findings="Twelve cartons more than declared."),
    )
    client.force_login(importer)
    page = client.get(reverse("declarations:detail", args=[red.mrn])).content.decode()
    assert "Berth 4, inspection shed B" in page and "The original invoice; container opened." in page
    assert "Twelve cartons more than declared." in page
    assert "lab sample 7" not in page
    client.force_login(exporter)  # another trader
    assert client.get(reverse("declarations:detail", args=[red.mrn])).status_code == 404


def test_officers_see_their_inspections_and_others_get_404(
    client, importer, supervisor, customs_officer, plant_officer, food_officer, red
):
    inspection = scheduled(red, supervisor)
    url = reverse("clearance:inspection", args=[inspection.pk])
    client.force_login(customs_officer)
    assert red.mrn in client.get(reverse("clearance:inspections")).content.decode()
    page = client.get(url).content.decode()
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    for outsider in (plant_officer, food_officer, importer):  # plant health required no inspection here
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert red.mrn not in client.get(reverse("clearance:inspections")).content.decode()
    client.force_login(customs_officer)
    assert client.get(reverse("clearance:inspection", args=[inspection.pk + 1000])).status_code == 404


def test_findings_with_photos_are_stored_and_served_only_to_who_may_see_them(
    client, importer, supervisor, customs_officer, plant_officer, red, settings
):
    inspection = scheduled(red, supervisor)
    url = reverse("clearance:inspection", args=[inspection.pk])
    client.force_login(customs_officer)
    response = client.post(
        url,
        {"outcome": "compliant", "photos": [photo("quay.png", PNG, "image/png"), photo("seal.jpg", JPEG)]},
    )
    assert response.status_code == 302, response.content.decode()
    finding = InspectionFinding.objects.get(inspection=inspection)
    photos = list(finding.photos.all())
    assert [p.content_type for p in photos] == ["image/png", "image/jpeg"]
    assert all(str(settings.MEDIA_ROOT) in p.image.path and "quay" not in p.image.name for p in photos)
    served = client.get(reverse("clearance:inspection_photo", args=[photos[0].pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == PNG
    client.force_login(supervisor)
    by_supervisor = client.get(reverse("clearance:inspection_photo", args=[photos[0].pk]))
    assert by_supervisor.status_code == 200
    assert b"".join(by_supervisor.streaming_content) == PNG  # read to the end: the file is closed
    for attacker in (plant_officer, importer):
        client.force_login(attacker)
        assert client.get(reverse("clearance:inspection_photo", args=[photos[0].pk])).status_code == 404
    client.force_login(customs_officer)
    assert client.get(reverse("clearance:inspection_photo", args=[photos[-1].pk + 1000])).status_code == 404
    # The photos are never under a public media URL: no page links one.
    page = client.get(url).content.decode()
    assert settings.MEDIA_URL + "inspections" not in page


def test_photo_of_another_declaration_is_404_for_an_officer_of_this_one(
    client, importer, exporter, supervisor, customs_officer, agencies, django_capture_on_commit_callbacks
):
    from agencies.access import agency_add_officer
    from agencies.models import Agency
    from tests.factories import UserFactory

    capture = django_capture_on_commit_callbacks
    mine = routed_in_lane(importer, Lane.RED, lrn="PG-MINE", capture=capture)
    other = routed_in_lane(importer, Lane.RED, item(1, TEA), item(2, ROSES), lrn="PG-OTHER", capture=capture)
    theirs = scheduled(other, supervisor)
    plant = Agency.objects.get(code="plant-health")
    plant_inspector = UserFactory(username="plant_inspector", role="officer")
    agency_add_officer(agency=plant, user=plant_inspector)
    controls.finding_record(
        inspection_id=theirs.pk,
        officer=customs_officer,
        finding=controls.Finding(outcome="compliant"),
        photos=controls_photos([photo("a.png", PNG, "image/png")]),
    )
    stolen = FindingPhoto.objects.get(finding__inspection=theirs)
    assert mine.pk != other.pk
    client.force_login(plant_inspector)  # plant health attends no inspection of the other declaration
    assert client.get(reverse("clearance:inspection_photo", args=[stolen.pk])).status_code == 404


def controls_photos(files):
    from clearance.inspections.photos import photos_check

    return photos_check(files)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (photo("invoice.jpg", b"<!DOCTYPE html><html><script>alert(1)</script></html>"), "is not a photo"),
        (
            photo(
                "seal.png",
                b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                "image/png",
            ),
            "is not a photo",
        ),
        (photo("doc.jpg", b"%PDF-1.4\n%%EOF"), "is not a photo"),
        (photo("huge.jpg", JPEG[:4] + b"\x00" * MAX_PHOTO_BYTES), "larger than 8 MB"),
    ],
    ids=["html-as-jpeg", "svg-as-png", "pdf-as-jpeg", "over-8-mb"],
)
def test_anything_but_a_real_photo_is_refused_and_nothing_is_recorded(
    client, supervisor, customs_officer, red, upload, message
):
    inspection = scheduled(red, supervisor)
    client.force_login(customs_officer)
    response = client.post(
        reverse("clearance:inspection", args=[inspection.pk]), {"outcome": "compliant", "photos": [upload]}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not InspectionFinding.objects.exists() and not FindingPhoto.objects.exists()


def test_more_photos_than_the_cap_are_refused(client, supervisor, customs_officer, red):
    inspection = scheduled(red, supervisor)
    client.force_login(customs_officer)
    uploads = [photo(f"p{n}.jpg", JPEG) for n in range(MAX_PHOTOS + 1)]
    response = client.post(
        reverse("clearance:inspection", args=[inspection.pk]), {"outcome": "compliant", "photos": uploads}
    )
    assert response.status_code == 400 and "at most" in response.content.decode()


def test_the_review_page_shows_the_inspection_findings_and_photos_to_the_agency(
    client, importer, supervisor, customs_officer, plant_officer, red, django_capture_on_commit_callbacks
):
    review = red.reviews.get(agency__code="plant-health")
    with django_capture_on_commit_callbacks(execute=True):
        agency_services.review_decide(review=review, officer=plant_officer, outcome="inspection_required")
    inspection = scheduled(red, supervisor)
    client.force_login(plant_officer)
    client.post(
        reverse("clearance:inspection", args=[inspection.pk]),
        {
            "outcome": "non_compliant",
            "findings": "Thrips on box 3.",
            "photos": [photo("box.png", PNG, "image/png")],
        },
    )
    page = client.get(reverse("agencies:review", args=[review.pk])).content.decode()
    assert "Thrips on box 3." in page
    assert reverse("clearance:inspection_photo", args=[FindingPhoto.objects.get().pk]) in page
