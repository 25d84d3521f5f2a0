"""Deliveries to an agency's own system: signed JSON, its own queue, retries, failures, replay.

The endpoint is faked at ``singlewindow.egress.webhook_post`` (what leaves the process); the egress
itself (address checks, pinning) is tested against a real local server in ``test_egress.py``.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import requests

from agencies import services, tasks
from agencies.errors import DeliveryError
from agencies.models import Agency, DeliveryStatus, WebhookDelivery
from agencies.webhooks import signature_for, signature_verify, signed_request
from singlewindow import egress
from singlewindow.models import AuditEvent, OutboxMessage

from .fixtures import lodge, mixed_payload

pytestmark = pytest.mark.django_db

SECRET = "s3cret-shared-with-plant-health"


class Endpoint:
    """Stands in for the agency's server: records every POST and answers as told."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []

    def __call__(self, url: str, *, data: bytes, headers: dict[str, str], timeout: Any) -> egress.Answer:
        self.calls.append({"url": url, "body": data, "headers": headers, "timeout": timeout})
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return egress.Answer(status_code=answer, excerpt="")


@pytest.fixture
def plant_webhook(plant_health: Agency) -> Agency:
    plant_health.webhook_url = "https://plant-health.example.test/single-window"
    plant_health.webhook_secret = SECRET
    plant_health.save()
    return plant_health


def _lodge_with(endpoint, monkeypatch, importer, capture, lrn="WH-1"):
    monkeypatch.setattr(egress, "webhook_post", endpoint)
    return lodge(importer, mixed_payload(lrn=lrn), capture)


def test_signature_is_hmac_sha256_of_timestamp_and_body():
    import hashlib
    import hmac

    body = b'{"a":1}'
    expected = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature_for("k", "1700000000", body) == f"sha256={expected}"


def test_verification_refuses_tampering_wrong_secret_and_old_messages():
    body = b'{"review":1}'
    signature = signature_for(SECRET, "1700000000", body)
    assert signature_verify(
        secret=SECRET, timestamp="1700000000", body=body, signature=signature, now=1700000010
    )
    assert not signature_verify(
        secret=SECRET, timestamp="1700000000", body=body + b" ", signature=signature, now=1700000010
    )
    assert not signature_verify(
        secret="other", timestamp="1700000000", body=body, signature=signature, now=1700000010
    )
    assert not signature_verify(
        secret=SECRET, timestamp="1700000000", body=body, signature=signature, now=1700009999
    )
    assert not signature_verify(secret=SECRET, timestamp="soon", body=body, signature=signature)


def test_new_review_is_delivered_signed_with_only_the_agencys_items(
    importer, agencies, plant_webhook, monkeypatch, django_capture_on_commit_callbacks
):
    endpoint = Endpoint(200)
    declaration = _lodge_with(endpoint, monkeypatch, importer, django_capture_on_commit_callbacks)
    (call,) = endpoint.calls  # only plant health has an endpoint
    assert call["url"] == plant_webhook.webhook_url
    headers = call["headers"]
    assert signature_verify(
        secret=SECRET,
        timestamp=headers["X-SingleWindow-Timestamp"],
        body=call["body"],
        signature=headers["X-SingleWindow-Signature"],
    )
    payload = json.loads(call["body"])
    assert payload["event"] == "review.created"
    assert payload["declaration"]["mrn"] == declaration.mrn
    assert [i["sequence"] for i in payload["items"]] == [1]
    assert payload["review"]["decision_url"] == f"/api/v1/reviews/{payload['review']['id']}/decision"
    delivery = WebhookDelivery.objects.get()
    assert headers["X-SingleWindow-Delivery"] == str(delivery.pk)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 1
    assert call["timeout"] == (3.0, 10.0)  # SW_WEBHOOK_CONNECT_TIMEOUT, SW_WEBHOOK_READ_TIMEOUT


def test_delivery_goes_to_the_agencys_own_queue(
    importer, agencies, plant_webhook, monkeypatch, django_capture_on_commit_callbacks
):
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(tasks.webhook_deliver, "apply_async", lambda **kw: sent.append(kw))
    lodge(importer, mixed_payload(lrn="WH-Q"), django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert sent == [
        {
            "kwargs": {"delivery_id": delivery.pk, "queue": "agency.plant-health"},
            "queue": "agency.plant-health",
        }
    ]
    assert tasks.route_task(
        tasks.WEBHOOK_TASK, [], {"delivery_id": 1, "queue": "agency.plant-health"}, {}
    ) == {"queue": "agency.plant-health"}
    assert tasks.route_task("clearance.tasks.declaration_route", [1], {}, {}) is None
    # Published without a queue (by hand): the delivery worker's queue, never the pipeline's.
    assert tasks.route_task(tasks.WEBHOOK_TASK, [1], {}, {}) == {"queue": "deliveries"}


def test_retries_back_off_exponentially_capped_below_the_visibility_timeout(settings):
    task = tasks.webhook_deliver
    assert task.max_retries == 8
    assert task.autoretry_for == (DeliveryError,)
    assert task.retry_backoff
    assert task.retry_backoff_max < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]


def test_failed_attempt_is_recorded_and_raised_for_a_retry(
    importer, agencies, plant_webhook, monkeypatch, django_capture_on_commit_callbacks
):
    endpoint = Endpoint(503)
    _lodge_with(endpoint, monkeypatch, importer, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    # in-process (eager) mode there is one attempt: recorded as failed at once
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 503
    assert "HTTP 503" in delivery.last_error

    monkeypatch.setattr(egress, "webhook_post", Endpoint(requests.ConnectionError("connection refused")))
    with pytest.raises(DeliveryError):
        services.webhook_send(delivery_id=delivery.pk, final_attempt=False)
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert "ConnectionError" in delivery.last_error


def test_endpoint_down_does_not_hold_up_the_review(
    importer, agencies, plant_webhook, monkeypatch, django_capture_on_commit_callbacks, plant_officer
):
    endpoint = Endpoint(requests.Timeout("read timed out"))
    declaration = _lodge_with(endpoint, monkeypatch, importer, django_capture_on_commit_callbacks)
    assert declaration.reviews.count() == 3
    review = declaration.reviews.get(agency=plant_webhook)
    decided = services.review_decide(review=review, officer=plant_officer, outcome="approved")
    assert decided.status == "approved"


def test_administrator_replays_a_failed_delivery(
    importer, agencies, plant_webhook, monkeypatch, django_capture_on_commit_callbacks, client
):
    from tests.factories import UserFactory

    _lodge_with(Endpoint(500), monkeypatch, importer, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED

    admin_user = UserFactory(username="admin", role="admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    failed_list = client.get("/admin/agencies/webhookdelivery/", {"status__exact": "failed"})
    assert str(plant_webhook) in failed_list.content.decode()

    endpoint = Endpoint(204)
    monkeypatch.setattr(egress, "webhook_post", endpoint)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/agencies/webhookdelivery/",
            {"action": "replay", "_selected_action": [delivery.pk]},
        )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 2
    assert len(endpoint.calls) == 1
    assert AuditEvent.objects.filter(action="agencies.delivery.replayed", object_id=delivery.pk).exists()
    assert OutboxMessage.objects.filter(topic="agencies.delivery.send", object_id=delivery.pk).count() == 2


def test_a_delivered_delivery_is_not_sent_again(
    importer, agencies, plant_webhook, monkeypatch, django_capture_on_commit_callbacks
):
    endpoint = Endpoint(200)
    _lodge_with(endpoint, monkeypatch, importer, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    services.webhook_send(delivery_id=delivery.pk, final_attempt=False)
    assert len(endpoint.calls) == 1


def test_every_attempt_is_signed_afresh(
    plant_webhook, importer, agencies, monkeypatch, django_capture_on_commit_callbacks
):
    _lodge_with(Endpoint(200), monkeypatch, importer, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.select_related("agency").get()
    body_1, headers_1 = signed_request(delivery, now=1700000000)
    body_2, headers_2 = signed_request(delivery, now=1700000100)
    assert body_1 == body_2
    assert headers_1["X-SingleWindow-Signature"] != headers_2["X-SingleWindow-Signature"]


def test_a_second_copy_arriving_while_the_first_is_sending_does_not_post_again(
    importer, agencies, plant_webhook, monkeypatch, django_capture_on_commit_callbacks
):
    _lodge_with(Endpoint(503), monkeypatch, importer, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    seen_by_the_copy: list[WebhookDelivery] = []

    def endpoint(url: str, *, data: bytes, headers: dict[str, str], timeout: Any) -> egress.Answer:
        calls.append(url)
        if len(calls) == 1:  # the duplicate task runs while the first POST is on the wire
            seen_by_the_copy.append(services.webhook_send(delivery_id=delivery.pk, final_attempt=False))
        return egress.Answer(status_code=200, excerpt="")

    calls: list[str] = []
    monkeypatch.setattr(egress, "webhook_post", endpoint)
    sent = services.webhook_send(delivery_id=delivery.pk, final_attempt=False)
    assert len(calls) == 1
    assert seen_by_the_copy[0].status == DeliveryStatus.FAILED  # left alone, as the copy found it
    assert sent.status == DeliveryStatus.DELIVERED
    assert sent.attempts == 2
    assert sent.sending_until is None


def test_a_copy_that_died_mid_send_holds_the_delivery_only_until_its_lease_ends(
    importer, agencies, plant_webhook, monkeypatch, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    _lodge_with(Endpoint(503), monkeypatch, importer, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    endpoint = Endpoint(200)
    monkeypatch.setattr(egress, "webhook_post", endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        sending_until=timezone.now() + timedelta(seconds=20)
    )
    assert services.webhook_send(delivery_id=delivery.pk, final_attempt=False).status == DeliveryStatus.FAILED
    assert endpoint.calls == []
    WebhookDelivery.objects.filter(pk=delivery.pk).update(sending_until=timezone.now() - timedelta(seconds=1))
    assert (
        services.webhook_send(delivery_id=delivery.pk, final_attempt=False).status == DeliveryStatus.DELIVERED
    )
    assert len(endpoint.calls) == 1


def test_sweep_re_enqueues_a_delivery_whose_task_was_lost(
    importer, agencies, plant_webhook, monkeypatch, django_capture_on_commit_callbacks, settings
):
    from singlewindow import outbox

    monkeypatch.setitem(outbox._HANDLERS, "agencies.delivery.send", [])  # the task never reaches Redis
    lodge(importer, mixed_payload(lrn="WH-LOST"), django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)

    endpoint = Endpoint(200)
    monkeypatch.setattr(egress, "webhook_post", endpoint)
    settings.SW_DELIVERY_STUCK_SECONDS = 3600
    assert tasks.delivery_sweep() == 0  # not long enough: it may still be on its way
    settings.SW_DELIVERY_STUCK_SECONDS = -1
    assert services.deliveries_stuck(older_than=timedelta(seconds=-1)) == [
        (delivery.pk, "agency.plant-health")
    ]
    assert tasks.delivery_sweep() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert len(endpoint.calls) == 1
    assert tasks.delivery_sweep() == 0  # delivered: nothing more to re-drive


def test_sweep_waits_as_long_again_before_re_enqueuing_the_same_delivery_and_skips_inactive_agencies(
    importer, agencies, plant_webhook, monkeypatch, django_capture_on_commit_callbacks
):
    import time_machine
    from django.utils import timezone

    from singlewindow import outbox

    monkeypatch.setitem(outbox._HANDLERS, "agencies.delivery.send", [])
    lodge(importer, mixed_payload(lrn="WH-AGAIN"), django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    wait = timedelta(minutes=7)
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):
        assert services.deliveries_stuck(older_than=wait) == [(delivery.pk, "agency.plant-health")]
        assert services.deliveries_stuck(older_than=wait) == []  # just re-enqueued: not again
    with time_machine.travel(timezone.now() + timedelta(minutes=15), tick=False):
        assert services.deliveries_stuck(older_than=wait) == []  # 5 minutes since: still on its way
    with time_machine.travel(timezone.now() + timedelta(minutes=18), tick=False):
        Agency.objects.filter(pk=plant_webhook.pk).update(is_active=False)
        assert services.deliveries_stuck(older_than=wait) == []  # nobody consumes its queue
        Agency.objects.filter(pk=plant_webhook.pk).update(is_active=True)
        assert services.deliveries_stuck(older_than=wait) == [(delivery.pk, "agency.plant-health")]


def test_the_traders_answer_is_delivered_to_the_agencys_system_with_its_files_downloadable_by_token(
    importer,
    agencies,
    plant_webhook,
    plant_officer,
    outsider,
    monkeypatch,
    django_capture_on_commit_callbacks,
    settings,
    tmp_path,
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from agencies.models import InformationRequest

    from .fixtures import client_for

    settings.MEDIA_ROOT = tmp_path
    endpoint = Endpoint(200)
    declaration = _lodge_with(endpoint, monkeypatch, importer, django_capture_on_commit_callbacks)
    review = declaration.reviews.get(agency=plant_webhook)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_decide(
            review=review, officer=plant_officer, outcome="info_requested", reason="Phyto?"
        )
    request = InformationRequest.objects.get(review=review)
    for round_ in (1, 2):  # a second question on the same review gets its own delivery
        if round_ == 2:
            services.review_decide(
                review=review, officer=plant_officer, outcome="info_requested", reason="And?"
            )
            request = InformationRequest.objects.filter(review=review).latest("pk")
        upload = SimpleUploadedFile("phyto.pdf", b"%PDF-1.4 certificate", content_type="application/pdf")
        with django_capture_on_commit_callbacks(execute=True):
            services.information_answer(
                information_request=request,
                user=importer,
                answer=f"Attached ({round_})",
                attachments=[upload],
            )

    answered = WebhookDelivery.objects.filter(event="review.answered").order_by("pk")
    assert [d.status for d in answered] == [DeliveryStatus.DELIVERED, DeliveryStatus.DELIVERED]
    sent = json.loads(endpoint.calls[-1]["body"])
    assert endpoint.calls[-1]["headers"]["X-SingleWindow-Event"] == "review.answered"
    assert sent["review"]["id"] == review.pk
    assert sent["information_request"]["question"] == "And?"
    assert sent["information_request"]["answer"] == "Attached (2)"
    (attachment,) = sent["information_request"]["attachments"]
    assert attachment["name"] == "phyto.pdf"

    download = client_for(plant_officer).get(attachment["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 certificate"
    assert client_for(outsider).get(attachment["url"]).status_code == 404
