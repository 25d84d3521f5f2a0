"""DMS responses pushed to a trader account's own endpoint: signed, retried, de-duplicable, and
only to public https endpoints; registered by a member on a page (or in the admin), audited.

The endpoint is faked at ``singlewindow.egress.webhook_post`` (what leaves the process); the egress
itself is tested against a real local server in ``tests/singlewindow/test_egress.py``.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
import requests
from django.urls import reverse

from accounts.models import TraderAccount
from accounts.services import response_endpoint_set
from declarations import push
from declarations.models import Declaration, DeclarationResponse, ResponseDelivery, ResponseDeliveryStatus
from singlewindow import egress
from singlewindow.models import AuditEvent, OutboxMessage
from singlewindow.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_verify,
)
from tests.agencies.fixtures import client_for
from tests.factories import UserFactory

from .payloads import import_payload

pytestmark = pytest.mark.django_db

SECRET = "the-importers-own-secret-0123456789"
URL = "https://erp.importer.example/dms"


class Endpoint:
    """Stands in for the trader's system: records every POST and answers as told."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []

    def __call__(self, url: str, *, data: bytes, headers: dict[str, str], timeout: Any) -> egress.Answer:
        self.calls.append({"url": url, "body": data, "headers": headers})
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return egress.Answer(status_code=answer, excerpt="")


@pytest.fixture
def registered(importer, importer_account: TraderAccount) -> TraderAccount:
    return response_endpoint_set(account=importer_account, actor=importer, url=URL, secret=SECRET)


def lodge(user, capture, lrn: str = "PUSH-1") -> Declaration:
    with capture(execute=True):
        answer = client_for(user).post("/api/v1/declarations", import_payload(lrn=lrn), format="json")
    assert answer.status_code == 201, answer.json()
    return Declaration.objects.get(mrn=answer.json()["mrn"])


def test_the_acceptance_is_pushed_signed_with_the_accounts_secret(
    importer, registered, monkeypatch, django_capture_on_commit_callbacks
):
    endpoint = Endpoint(200)
    monkeypatch.setattr(egress, "webhook_post", endpoint)
    declaration = lodge(importer, django_capture_on_commit_callbacks)
    [response] = DeclarationResponse.objects.filter(declaration=declaration)
    [delivery] = ResponseDelivery.objects.filter(response=response)
    assert delivery.status == ResponseDeliveryStatus.DELIVERED and delivery.account_id == registered.pk
    # written in the lodgement's transaction, published through the outbox
    assert OutboxMessage.objects.get(topic=push.TOPIC_RESPONSE_PUSH, object_id=delivery.pk).published_at
    [call] = endpoint.calls
    assert call["url"] == URL
    assert call["body"] == response.body.encode()
    headers = call["headers"]
    assert headers["Content-Type"] == "application/xml"
    assert headers[EVENT_HEADER] == "dms.response"
    assert headers[DELIVERY_HEADER] == str(delivery.pk)
    assert headers[push.RESPONSE_HEADER] == response.reference
    assert signature_verify(
        secret=SECRET,
        timestamp=headers[TIMESTAMP_HEADER],
        body=call["body"],
        signature=headers[SIGNATURE_HEADER],
    )
    assert not signature_verify(
        secret="another-secret",
        timestamp=headers[TIMESTAMP_HEADER],
        body=call["body"],
        signature=headers[SIGNATURE_HEADER],
    )


def test_a_failed_push_is_retried_with_the_same_delivery_id_then_given_up(
    importer, registered, monkeypatch, django_capture_on_commit_callbacks
):
    endpoint = Endpoint(503)
    monkeypatch.setattr(egress, "webhook_post", endpoint)
    declaration = lodge(importer, django_capture_on_commit_callbacks)  # embedded: one attempt, failed
    delivery = ResponseDelivery.objects.get(response__declaration=declaration)
    assert delivery.status == ResponseDeliveryStatus.FAILED
    ResponseDelivery.objects.filter(pk=delivery.pk).update(status=ResponseDeliveryStatus.PENDING)

    # a worker's attempt that is not the last raises for Celery's retry, and keeps the row pending
    with pytest.raises(push.ResponseDeliveryError):
        push.response_send(delivery_id=delivery.pk, final_attempt=False)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 2, 503)
    endpoint.answers = [requests.ConnectionError("connection refused")]
    with pytest.raises(push.ResponseDeliveryError):
        push.response_send(delivery_id=delivery.pk, final_attempt=False)
    endpoint.answers = [200]
    push.response_send(delivery_id=delivery.pk, final_attempt=False)
    delivery.refresh_from_db()
    assert delivery.status == ResponseDeliveryStatus.DELIVERED and delivery.attempts == 4
    # every attempt carried the same delivery id: the receiver de-duplicates by it
    assert {c["headers"][DELIVERY_HEADER] for c in endpoint.calls} == {str(delivery.pk)}
    assert len({c["headers"][SIGNATURE_HEADER] for c in endpoint.calls}) >= 1
    # delivered is final: a copy of the task arriving late posts nothing
    push.response_send(delivery_id=delivery.pk, final_attempt=True)
    assert len(endpoint.calls) == 4


def test_a_copy_of_the_task_running_at_once_posts_nothing(
    importer, registered, monkeypatch, django_capture_on_commit_callbacks
):
    endpoint = Endpoint(503)
    monkeypatch.setattr(egress, "webhook_post", endpoint)
    declaration = lodge(importer, django_capture_on_commit_callbacks)
    delivery = ResponseDelivery.objects.get(response__declaration=declaration)
    from django.utils import timezone

    ResponseDelivery.objects.filter(pk=delivery.pk).update(
        status=ResponseDeliveryStatus.PENDING, sending_until=timezone.now() + push.DELIVERY_LEASE
    )
    push.response_send(delivery_id=delivery.pk, final_attempt=False)  # the other copy holds the lease
    assert len(endpoint.calls) == 1


def test_the_task_retries_with_the_shared_policy():
    from declarations import tasks
    from singlewindow.delivery import BACKOFF_MAX_SECONDS, MAX_RETRIES

    task = tasks.response_deliver
    assert task.max_retries == MAX_RETRIES
    assert task.retry_backoff_max == BACKOFF_MAX_SECONDS
    assert push.ResponseDeliveryError in task.autoretry_for
    assert tasks.route_task(tasks.RESPONSE_TASK, (), {}, {}) == {"queue": "deliveries"}


def test_an_account_without_an_endpoint_gets_no_push_and_another_accounts_endpoint_nothing(
    importer, exporter, exporter_account, monkeypatch, django_capture_on_commit_callbacks
):
    response_endpoint_set(account=exporter_account, actor=exporter, url=URL, secret=SECRET)
    endpoint = Endpoint(200)
    monkeypatch.setattr(egress, "webhook_post", endpoint)
    lodge(importer, django_capture_on_commit_callbacks)
    assert not ResponseDelivery.objects.exists()
    assert endpoint.calls == []


def test_a_rejected_lodgement_is_pushed_to_the_declarants_endpoint(
    importer, registered, monkeypatch, django_capture_on_commit_callbacks
):
    endpoint = Endpoint(200)
    monkeypatch.setattr(egress, "webhook_post", endpoint)
    payload = import_payload(lrn="PUSH-REJ")
    payload["items"][0]["net_mass"] = None
    with django_capture_on_commit_callbacks(execute=True):
        answer = client_for(importer).post("/api/v1/declarations", payload, format="json")
    assert answer.status_code == 400
    [call] = endpoint.calls
    assert b"<FunctionCode>03</FunctionCode>" in call["body"]


def test_a_push_to_a_private_address_is_refused_at_the_attempt(
    importer, importer_account, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """Even an endpoint stored before the rules tightened (or by a DNS change) is checked when sent."""
    settings.SW_WEBHOOK_ALLOW_PRIVATE = False
    settings.SW_WEBHOOK_ALLOW_HTTP = False
    TraderAccount.objects.filter(pk=importer_account.pk).update(
        response_url="https://169.254.169.254/latest/meta-data", response_secret=SECRET
    )
    declaration = lodge(importer, django_capture_on_commit_callbacks)
    delivery = ResponseDelivery.objects.get(response__declaration=declaration)
    assert delivery.status == ResponseDeliveryStatus.FAILED
    assert delivery.last_error.startswith("refused:") and "link-local" in delivery.last_error


# --- registering the endpoint ------------------------------------------------------------------


@pytest.fixture
def production(settings: Any, monkeypatch) -> None:
    """Outside the embedded mode; erp.importer.example resolves to a public address."""
    settings.SW_EMBEDDED = False
    settings.SW_WEBHOOK_ALLOW_PRIVATE = False
    settings.SW_WEBHOOK_ALLOW_HTTP = False
    real = socket.getaddrinfo

    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        answers = {"erp.importer.example": "93.184.215.14", "erp.intranet.example": "192.168.1.20"}
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], int(port or 443)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def post_endpoint(client, account: TraderAccount, **fields: str):
    data = {"account": str(account.pk), f"a{account.pk}-response_url": "", f"a{account.pk}-new_secret": ""}
    data.update({f"a{account.pk}-{k}": v for k, v in fields.items()})
    return client.post(reverse("response-endpoints"), data)


def test_a_member_registers_the_endpoint_with_a_generated_secret_shown_once(
    client, importer, importer_account, production
):
    client.force_login(importer)
    answer = post_endpoint(client, importer_account, response_url=URL, generate_secret="on")
    assert answer.status_code == 200
    importer_account.refresh_from_db()
    assert importer_account.response_url == URL
    secret = importer_account.response_secret
    assert len(secret) >= 40 and secret in answer.content.decode()
    again = client.get(reverse("response-endpoints")).content.decode()
    assert secret not in again and "Currently: set." in again
    event = AuditEvent.objects.get(action="accounts.trader_account.response_endpoint_changed")
    assert event.data["after"] == {"response_url": URL} and event.data["secret"] == "changed"
    assert secret not in str(event.data)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://erp.importer.example/dms", "The endpoint must be an https:// URL."),
        ("https://127.0.0.1/dms", "127.0.0.1 is a loopback address"),
        (
            "https://erp.intranet.example/dms",
            "erp.intranet.example resolves to 192.168.1.20, a private address",
        ),
    ],
)
def test_an_unsafe_endpoint_is_refused_with_the_reason(
    client, importer, importer_account, production, url, message
):
    client.force_login(importer)
    answer = post_endpoint(client, importer_account, response_url=url, new_secret=SECRET)
    assert answer.status_code == 200
    assert message in answer.content.decode()
    importer_account.refresh_from_db()
    assert (importer_account.response_url, importer_account.response_secret) == ("", "")


def test_an_endpoint_needs_a_secret(client, importer, importer_account, production):
    client.force_login(importer)
    answer = post_endpoint(client, importer_account, response_url=URL)
    assert "needs a secret" in answer.content.decode()
    importer_account.refresh_from_db()
    assert importer_account.response_url == ""


def test_only_a_member_sets_an_accounts_endpoint(client, broker, importer_account, production):
    """A broker representing the account may lodge for it, not redirect its responses."""
    client.force_login(broker)
    answer = post_endpoint(client, importer_account, response_url=URL, new_secret=SECRET)
    assert answer.status_code == 404
    importer_account.refresh_from_db()
    assert importer_account.response_url == ""


def test_the_admin_keeps_the_secret_write_only(client, importer_account, production):
    admin = UserFactory(username="administrator", role="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    TraderAccount.objects.filter(pk=importer_account.pk).update(response_url=URL, response_secret=SECRET)
    page = client.get(reverse("admin:accounts_traderaccount_change", args=[importer_account.pk]))
    assert page.status_code == 200
    assert SECRET not in page.content.decode()
    assert "new_response_secret" in page.content.decode()
