"""An agency's own system in the admin: safe endpoints only, a write-only secret, the delivery circuit,
and never more of an endpoint's answer than an escaped excerpt."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from agencies import services
from agencies.models import Agency, DeliveryCircuit, DeliveryStatus, WebhookDelivery
from singlewindow import egress
from singlewindow.models import AuditEvent, OutboxMessage
from tests.factories import AgencyFactory, UserFactory

from .fixtures import lodge, mixed_payload

pytestmark = pytest.mark.django_db

SECRET = "the-current-secret-of-wildlife-0123456789"


@pytest.fixture
def administrator(db: None) -> User:
    return UserFactory(username="administrator", role="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def production(settings: Any, monkeypatch) -> None:
    """Outside the embedded mode; agency.example.org resolves to a public address."""
    settings.SW_EMBEDDED = False
    settings.SW_WEBHOOK_ALLOW_PRIVATE = False
    settings.SW_WEBHOOK_ALLOW_HTTP = False
    settings.SW_AUTO_DECIDE_ALLOWED = False
    real = socket.getaddrinfo

    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        answers = {"agency.example.org": "93.184.215.14", "intranet.example.org": "10.20.30.40"}
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], int(port or 443)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


@pytest.fixture
def wildlife(db: None) -> Agency:
    return AgencyFactory(code="wildlife", name="Wildlife Trade Office")


def change_url(agency: Agency) -> str:
    return reverse("admin:agencies_agency_change", args=[agency.pk])


def post_agency(client: Any, agency: Agency, **fields: Any) -> Any:
    data = {
        "code": agency.code,
        "name": agency.name,
        "service_level_hours": agency.service_level_hours,
        "is_active": "on",
        "webhook_url": "",
        "new_webhook_secret": "",
        "rules-TOTAL_FORMS": "0",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    data.update(fields)
    return client.post(change_url(agency), data)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://agency.example.org/hook", "The endpoint must be an https:// URL."),
        ("https://127.0.0.1/hook", "127.0.0.1 is a loopback address"),
        ("https://localhost:8443/hook", "localhost is a loopback address"),
        ("https://[::ffff:169.254.169.254]/hook", "a link-local address"),
        (
            "https://intranet.example.org/hook",
            "intranet.example.org resolves to 10.20.30.40, a private address",
        ),
    ],
)
def test_an_unsafe_endpoint_is_refused_when_saved_with_the_reason(
    client, administrator, wildlife, production, url, message
):
    client.force_login(administrator)
    response = post_agency(client, wildlife, webhook_url=url, generate_webhook_secret="on")
    assert response.status_code == 200
    assert message in response.content.decode()
    wildlife.refresh_from_db()
    assert (wildlife.webhook_url, wildlife.webhook_secret) == ("", "")


def test_automatic_decisions_are_refused_where_the_installation_does_not_allow_them(
    client, administrator, wildlife, production
):
    client.force_login(administrator)
    response = post_agency(client, wildlife, auto_decide="on")
    assert response.status_code == 200
    assert "this installation does not allow them" in response.content.decode()
    wildlife.refresh_from_db()
    assert not wildlife.auto_decide


def test_an_endpoint_needs_a_secret(client, administrator, wildlife, production):
    client.force_login(administrator)
    response = post_agency(client, wildlife, webhook_url="https://agency.example.org/hook")
    assert response.status_code == 200
    assert "A webhook endpoint needs a secret" in response.content.decode()
    assert Agency.objects.get(pk=wildlife.pk).webhook_url == ""


def test_the_secret_is_never_shown_and_an_empty_field_keeps_it(client, administrator, wildlife, production):
    Agency.objects.filter(pk=wildlife.pk).update(
        webhook_url="https://agency.example.org/hook", webhook_secret=SECRET
    )
    client.force_login(administrator)
    page = client.get(change_url(wildlife)).content.decode()
    assert SECRET not in page
    assert "Currently: set." in page

    response = post_agency(client, wildlife, webhook_url="https://agency.example.org/v2")
    assert response.status_code == 302
    wildlife.refresh_from_db()
    assert (wildlife.webhook_url, wildlife.webhook_secret) == ("https://agency.example.org/v2", SECRET)
    assert not AuditEvent.objects.filter(action="agencies.agency.webhook_secret_set").exists()

    typed = "a-new-secret-typed-by-the-admin-42"
    assert (
        post_agency(client, wildlife, webhook_url=wildlife.webhook_url, new_webhook_secret=typed).status_code
        == 302
    )
    wildlife.refresh_from_db()
    assert wildlife.webhook_secret == typed
    (event,) = AuditEvent.objects.filter(action="agencies.agency.webhook_secret_set")
    assert typed not in str(event.data)

    short = post_agency(client, wildlife, webhook_url=wildlife.webhook_url, new_webhook_secret="short")
    assert short.status_code == 200
    assert "at least 24 characters" in short.content.decode()


def test_a_generated_secret_is_shown_once_after_saving(client, administrator, wildlife, production):
    client.force_login(administrator)
    response = post_agency(
        client, wildlife, webhook_url="https://agency.example.org/hook", generate_webhook_secret="on"
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    wildlife.refresh_from_db()
    assert len(wildlife.webhook_secret) >= 40
    assert wildlife.webhook_secret in response.content.decode()
    assert wildlife.webhook_secret not in client.get(change_url(wildlife)).content.decode()


@pytest.fixture
def parked(plant_health, importer, agencies, monkeypatch, django_capture_on_commit_callbacks) -> list[int]:
    """Plant health's circuit open, with two parked deliveries."""
    from singlewindow import outbox

    Agency.objects.filter(pk=plant_health.pk).update(
        webhook_url="https://plant-health.example.test/hook", webhook_secret="s" * 32
    )
    monkeypatch.setitem(outbox._HANDLERS, "agencies.delivery.send", [])
    for n in range(2):
        lodge(importer, mixed_payload(lrn=f"ADM-{n}"), django_capture_on_commit_callbacks)
    DeliveryCircuit.objects.create(agency=plant_health, failures=5, opened_at=timezone.now())
    WebhookDelivery.objects.update(parked_at=timezone.now())
    return list(WebhookDelivery.objects.values_list("pk", flat=True))


def test_the_circuit_is_shown_on_the_agency_and_an_administrator_closes_it(
    client, administrator, plant_health, parked, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    page = client.get(change_url(plant_health)).content.decode()
    assert "Open: deliveries are parked" in page
    assert "after 5 failed attempts in a row" in page
    assert "deliveries parked: 2." in page
    close = reverse("admin:agencies_agency_circuit_close", args=[plant_health.pk])
    assert close in page
    assert "Close circuit / retry now" in client.get(close).content.decode()

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(close)
    assert response.status_code == 302
    circuit = DeliveryCircuit.objects.get(agency=plant_health)
    assert (circuit.failures, circuit.opened_at) == (0, None)
    assert not WebhookDelivery.objects.filter(parked_at__isnull=False).exists()
    assert set(
        OutboxMessage.objects.filter(topic="agencies.delivery.send", published_at__isnull=True).values_list(
            "object_id", flat=True
        )
    ) == set(parked)
    assert AuditEvent.objects.filter(
        action="agencies.agency.circuit_closed", object_id=plant_health.pk
    ).exists()
    assert "Closed: deliveries go out" in client.get(change_url(plant_health)).content.decode()


def test_closing_the_circuit_needs_a_post(client, administrator, plant_health, parked):
    client.force_login(administrator)
    client.get(reverse("admin:agencies_agency_circuit_close", args=[plant_health.pk]))
    assert DeliveryCircuit.objects.get(agency=plant_health).opened_at is not None


def test_an_endpoints_answer_is_shown_only_as_an_escaped_excerpt(client, administrator, parked, monkeypatch):

    delivery = WebhookDelivery.objects.get(pk=parked[0])
    DeliveryCircuit.objects.all().delete()
    WebhookDelivery.objects.update(parked_at=None)
    hostile = "<script>alert('owned')</script>" + "A" * 5000

    def endpoint(url: str, **kwargs: Any) -> egress.Answer:
        return egress.Answer(status_code=500, excerpt=egress.excerpt(hostile))

    monkeypatch.setattr(egress, "webhook_post", endpoint)
    services.webhook_send(delivery_id=delivery.pk, final_attempt=True, circuit=False)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert len(delivery.last_error) <= len("HTTP 500: ") + egress.EXCERPT_CHARS
    client.force_login(administrator)
    page = client.get(reverse("admin:agencies_webhookdelivery_change", args=[delivery.pk])).content.decode()
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(" in page


def test_where_private_addresses_are_allowed_the_endpoint_is_not_resolved_when_saved(
    client, administrator, wildlife, settings, monkeypatch
):
    """The embedded mode, tests and closed networks: a name only their own resolver knows is accepted."""
    settings.SW_WEBHOOK_ALLOW_PRIVATE = True
    settings.SW_WEBHOOK_ALLOW_HTTP = True

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("resolved")

    monkeypatch.setattr(socket, "getaddrinfo", unreachable)
    client.force_login(administrator)
    url = "http://backoffice.wildlife.internal:8080/hook"
    assert post_agency(client, wildlife, webhook_url=url, generate_webhook_secret="on").status_code == 200
    assert Agency.objects.get(pk=wildlife.pk).webhook_url == url


def test_an_old_long_error_is_shown_cut_short(client, administrator, parked):
    WebhookDelivery.objects.filter(pk=parked[0]).update(last_error="HTTP 500: " + "B" * 5000)
    client.force_login(administrator)
    page = client.get(reverse("admin:agencies_webhookdelivery_change", args=[parked[0]])).content.decode()
    assert "B" * 280 in page
    assert "B" * 300 not in page


def test_typing_a_secret_and_generating_one_at_once_is_refused(client, administrator, wildlife, production):
    client.force_login(administrator)
    response = post_agency(
        client,
        wildlife,
        webhook_url="https://agency.example.org/hook",
        new_webhook_secret="a-new-secret-typed-by-the-admin-42",
        generate_webhook_secret="on",
    )
    assert response.status_code == 200
    assert "Either type a new secret or generate one, not both." in response.content.decode()
    assert Agency.objects.get(pk=wildlife.pk).webhook_secret == ""
