"""The clearance pipeline on the full stack: PostgreSQL, a private Redis, a real Celery worker process.

Lodgement goes through the API in this process; routing, consolidation, notifications and webhook
deliveries run in the worker. Faults are real: the worker is SIGKILLed, Redis is shut down, tasks
are published twice at once, an agency's endpoint answers 503.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.models import TraderAccount
from agencies.models import (
    OPEN_STATUSES,
    Agency,
    AgencyReview,
    DeliveryStatus,
    InformationRequest,
    ReviewStatus,
    RoutingRule,
    WebhookDelivery,
)
from agencies.tasks import webhook_deliver
from agencies.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_verify,
)
from clearance.demo import seed_demo
from clearance.models import Notification, Outcome, ReleaseDecision, RiskRule, RiskSettings
from clearance.tasks import declaration_consolidate, declaration_route, information_request_notify
from declarations.models import Declaration
from declarations.models import Status as DeclarationStatus
from payments.facilities import facility_close
from payments.models import Facility, FacilityKind, PaymentMethod
from payments.payments import payment_settle, payment_start
from payments.status import MoneyState, money_status
from singlewindow.models import AuditEvent, OutboxMessage

from ..conftest import IMPORTER_EORI
from ..declarations.payloads import import_payload
from ..two_factor import totp_code
from .conftest import FAULT_FIGURES, Stack, WebhookReceiver, blocked_backends, in_parallel, table_locked

pytestmark = [
    pytest.mark.fullstack,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("fullstack"),
]

# The import payload has two goods items: 1 is 8510 90 00 from the US, 2 is 8510 20 00 from China.
# The rules below send both to standards, item 2 alone to food safety, and nothing to veterinary
# (so customs, which reviews only what nobody claims, gets nothing either).
EXPECTED_ROUTES = {"standards": [1, 2], "food-safety": [2]}


@pytest.fixture
def demo(stack: Stack) -> dict[str, str]:
    """The demo agencies and users (username → password), with routing rules of this module's own."""
    users = seed_demo()
    RoutingRule.objects.all().delete()
    # Customs' demo risk profile would send these Chinese clippers to the red lane (and 5 % of the
    # rest at random): these tests are about routing and reviews, so every declaration is green.
    RiskRule.objects.update(is_active=False)
    RiskSettings.objects.update(random_share=0)
    agencies = {a.code: a for a in Agency.objects.all()}
    RoutingRule.objects.create(agency=agencies["standards"], name="Shavers and clippers", hs_prefix="8510")
    RoutingRule.objects.create(
        agency=agencies["food-safety"], name="Clippers from China", hs_prefix="851020", origin_country="CN"
    )
    RoutingRule.objects.create(agency=agencies["veterinary"], name="Live animals", hs_prefix="01")
    # The importer's duties are secured by a guarantee: here the release waits for the agencies only
    # (test_a_declaration_owing_duties_waits_for_its_payment… closes it to wait for the money).
    Facility.objects.create(
        trader_account=TraderAccount.objects.get(eori=IMPORTER_EORI),
        kind=FacilityKind.GUARANTEE,
        reference="GBGUA553202734852",
        limit=Decimal("10000000"),
        currency="GBP",
        valid_from=date(2026, 1, 1),
    )
    return {u["username"]: u["password"] for u in users}


def auto_decide_everywhere() -> None:
    Agency.objects.update(auto_decide=True)


def api_as(username: str, demo: dict[str, str]) -> APIClient:
    """An API client holding the user's token, obtained the way an agency's system obtains it."""
    client = APIClient()
    credentials = {"username": username, "password": demo[username]}
    authenticator = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    if authenticator is not None:  # officers: the code from the demo authenticator as well
        credentials["otp"] = totp_code(authenticator)
    response = client.post("/api/v1/auth/token", credentials, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def lodge(client: APIClient, lrn: str | None = None) -> Declaration:
    response = client.post(
        "/api/v1/declarations", import_payload(lrn=lrn or f"IT-{uuid.uuid4().hex[:12]}"), format="json"
    )
    assert response.status_code == 201, response.content
    return Declaration.objects.get(mrn=response.json()["mrn"])


def routes_of(declaration: Declaration) -> dict[str, list[int]]:
    return {
        review.agency.code: sorted(item.sequence for item in review.items.all())
        for review in AgencyReview.objects.filter(declaration=declaration).select_related("agency")
    }


def status_of(declaration: Declaration) -> str:
    return Declaration.objects.values_list("status", flat=True).get(pk=declaration.pk)


def released(*declarations: Declaration) -> bool:
    pks = [d.pk for d in declarations]
    return ReleaseDecision.objects.filter(declaration__in=pks).count() == len(pks)


def review_of(declaration: Declaration, agency: str) -> AgencyReview:
    return AgencyReview.objects.get(declaration=declaration, agency__code=agency)


def decide(client: APIClient, review: AgencyReview, outcome: str, reason: str = "") -> dict[str, Any]:
    response = client.post(
        f"/api/v1/reviews/{review.pk}/decision", {"outcome": outcome, "reason": reason}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def audit_counts(declaration: Declaration) -> Counter[str]:
    """How often each action was recorded on the declaration and on its reviews."""
    reviews = list(AgencyReview.objects.filter(declaration=declaration).values_list("pk", flat=True))
    events = AuditEvent.objects.filter(object_type="declarations.declaration", object_id=declaration.pk)
    events |= AuditEvent.objects.filter(object_type="agencies.agencyreview", object_id__in=reviews)
    return Counter(events.values_list("action", flat=True))


def end_state(declaration: Declaration) -> dict[str, Any]:
    """Everything the pipeline leaves behind for a declaration, without ids and times."""
    reviews = AgencyReview.objects.filter(declaration=declaration)
    return {
        "status": status_of(declaration),
        "reviews": sorted(reviews.values_list("agency__code", "status", "decision_reason")),
        "routes": routes_of(declaration),
        "release_decisions": list(
            ReleaseDecision.objects.filter(declaration=declaration).values_list("outcome", "automatic")
        ),
        "notifications": Counter(
            Notification.objects.filter(declaration=declaration).values_list("user__username", "kind")
        ),
        "information_requests": sorted(
            InformationRequest.objects.filter(review__declaration=declaration).values_list(
                "review__agency__code", "question", "answer"
            )
        ),
        "deliveries": sorted(
            WebhookDelivery.objects.filter(review__declaration=declaration).values_list(
                "agency__code", "event", "status"
            )
        ),
        "audit": audit_counts(declaration),
    }


def test_lodged_declaration_is_routed_to_the_right_agencies_decided_by_officers_and_released_once(
    demo: dict[str, str], stack: Stack
):
    broker = api_as("broker", demo)
    declaration = lodge(broker)

    stack.wait_until(lambda: status_of(declaration) == DeclarationStatus.IN_REVIEW, what="routing")
    assert routes_of(declaration) == EXPECTED_ROUTES

    for officer, agency in (("standards_officer", "standards"), ("food_officer", "food-safety")):
        client = api_as(officer, demo)
        queue = client.get("/api/v1/reviews", {"view": "pending"}).json()["results"]
        assert [(r["mrn"], r["agency"]) for r in queue] == [(declaration.mrn, agency)]
        claimed = client.post(f"/api/v1/reviews/{queue[0]['id']}/claim")
        assert claimed.status_code == 200, claimed.content
        assert claimed.json()["status"] == ReviewStatus.IN_REVIEW
        decide(client, review_of(declaration, agency), "approved", "Conforms.")
    # The agency that no rule matched never sees the declaration.
    assert api_as("vet_officer", demo).get("/api/v1/reviews").json()["results"] == []

    stack.wait_until(lambda: released(declaration), what="the release decision")
    decision = ReleaseDecision.objects.get(declaration=declaration)
    assert (decision.outcome, decision.automatic) == (Outcome.RELEASED, True)
    assert status_of(declaration) == DeclarationStatus.RELEASED

    seen = broker.get(f"/api/v1/declarations/{declaration.mrn}").json()
    assert seen["status"] == DeclarationStatus.RELEASED
    assert {r["agency"]: r["status"] for r in seen["reviews"]} == {
        "standards": ReviewStatus.APPROVED,
        "food-safety": ReviewStatus.APPROVED,
    }
    assert seen["release_decision"]["outcome"] == Outcome.RELEASED
    stack.wait_idle()
    assert ReleaseDecision.objects.filter(declaration=declaration).count() == 1
    assert audit_counts(declaration)["declarations.declaration.released"] == 1


@pytest.mark.parametrize(
    "crash_point",
    ["inside the routing transaction", "as soon as the first declaration is routed"],
)
def test_worker_killed_mid_routing_every_declaration_completes_exactly_once(
    demo: dict[str, str], stack: Stack, crash_point: str, record_property: Any
):
    auto_decide_everywhere()
    broker = api_as("broker", demo)

    if crash_point == "inside the routing transaction":
        # Both pool processes stop at their first review insert, holding their declarations' row
        # locks with half their work done; the worker dies right there.
        with table_locked("agencies_agencyreview"):
            batch = [lodge(broker) for _ in range(12)]
            stack.wait_until(lambda: blocked_backends() >= 2, what="two routings blocked mid-transaction")
            stack.kill_worker()
    else:
        # The worker dies while it works through the first half, whatever the machine's speed; the
        # second half is lodged while it is dead and waits in Redis.
        batch = [lodge(broker) for _ in range(6)]
        stack.wait_until(lambda: ReleaseDecision.objects.exists(), what="the first declaration routed")
        stack.kill_worker()
        batch += [lodge(broker) for _ in range(6)]
    assert not released(*batch), "the crash came too late to interrupt anything"

    stack.worker.start()
    repaired_at = time.monotonic()
    stack.sweep()  # beat's next run: the tasks the dead worker held are gone until re-driven

    stack.wait_until(lambda: released(*batch), timeout=30, what="every declaration of the batch released")
    drain = time.monotonic() - repaired_at
    stack.wait_idle()
    for declaration in batch:
        assert routes_of(declaration) == EXPECTED_ROUTES
        per_agency = Counter(
            AgencyReview.objects.filter(declaration=declaration).values_list("agency__code", flat=True)
        )
        assert set(per_agency.values()) == {1}, per_agency
        assert ReleaseDecision.objects.filter(declaration=declaration).count() == 1
        assert status_of(declaration) == DeclarationStatus.RELEASED
        audit = audit_counts(declaration)
        assert audit["declarations.declaration.routed"] == 1
        assert audit["declarations.declaration.released"] == 1
        assert audit["agencies.review.created"] == len(EXPECTED_ROUTES)
    record_property(  # checked above: none lost, none duplicated
        FAULT_FIGURES,
        {
            "fault": f"worker SIGKILL {crash_point}",
            "lodged": len(batch),
            "released": len(batch),
            "lost": 0,
            "duplicated": 0,
            "drain_seconds": round(drain, 2),
        },
    )


def test_declaration_lodged_while_redis_is_down_is_accepted_and_completes_when_it_returns(
    demo: dict[str, str], stack: Stack
):
    auto_decide_everywhere()
    broker = api_as("broker", demo)

    stack.redis.stop()
    declaration = lodge(broker)  # 201: the broker is not the system of record
    outbox = OutboxMessage.objects.get(topic="declarations.declaration.accepted", object_id=declaration.pk)
    assert outbox.published_at is None
    assert outbox.attempts == 1
    assert status_of(declaration) == DeclarationStatus.ACCEPTED

    stack.redis.start()  # empty: whatever it held is lost
    stack.sweep()

    stack.wait_until(lambda: released(declaration), timeout=30, what="the release after Redis returned")
    assert routes_of(declaration) == EXPECTED_ROUTES
    outbox.refresh_from_db()
    assert outbox.published_at is not None


def test_every_task_delivered_twice_and_concurrently_leaves_the_same_end_state(
    demo: dict[str, str], stack: Stack, webhook_receiver: WebhookReceiver
):
    """Two declarations go the same way; every task of the second is delivered three times.

    Copies are published from two threads at once with one task id (the broker redelivering) on
    top of the outbox's own, while the table the task writes is locked: the copies pile up with
    their reads done and run together when it is released. After release every task is delivered
    once more, late.
    """
    Agency.objects.filter(code="food-safety").update(
        webhook_url=webhook_receiver.url("/food-safety", status=200), webhook_secret="s3cret"
    )
    broker, importer = api_as("broker", demo), api_as("importer", demo)
    standards, food = api_as("standards_officer", demo), api_as("food_officer", demo)

    def twice(task: Any, *args: Any) -> None:
        task_id = str(uuid.uuid4())
        in_parallel(*[lambda: task.apply_async(args=args, task_id=task_id)] * 2)

    def walk(declaration_lrn: str, *, duplicate: bool) -> Declaration:
        with table_locked("agencies_agencyreview"):
            declaration = lodge(broker, declaration_lrn)
            if duplicate:
                twice(declaration_route, declaration.pk)
                stack.wait_until(lambda: blocked_backends() >= 2, what="two routings at once")
        stack.wait_until(lambda: status_of(declaration) == DeclarationStatus.IN_REVIEW, what="routing")
        stack.wait_until(
            lambda: WebhookDelivery.objects.filter(
                review__declaration=declaration, status=DeliveryStatus.DELIVERED
            ).exists(),
            what="the delivery to food safety",
        )

        with table_locked("clearance_notification"):
            decide(food, review_of(declaration, "food-safety"), "info_requested", "Who made the clippers?")
            request = InformationRequest.objects.get(review__declaration=declaration)
            if duplicate:
                twice(information_request_notify, request.pk)
                stack.wait_until(lambda: blocked_backends() >= 2, what="two notifications at once")
        stack.wait_until(
            lambda: Notification.objects.filter(declaration=declaration, kind="info_requested").exists(),
            what="the trader told about the question",
        )
        answered = importer.post(
            f"/api/v1/information-requests/{request.pk}/answer", {"answer": "Acme Shavers"}, format="json"
        )
        assert answered.status_code == 200, answered.content
        decide(food, review_of(declaration, "food-safety"), "approved", "Maker known.")

        with table_locked("clearance_releasedecision"):
            decide(standards, review_of(declaration, "standards"), "approved", "Conforms.")
            if duplicate:
                twice(declaration_consolidate, declaration.pk)
                stack.wait_until(lambda: blocked_backends() >= 2, what="two consolidations at once")
        stack.wait_until(lambda: released(declaration), what="the release decision")

        if duplicate:  # late: after the work is done, every task comes again
            twice(declaration_route, declaration.pk)
            twice(information_request_notify, request.pk)
            twice(declaration_consolidate, declaration.pk)
            for delivery in WebhookDelivery.objects.filter(review__declaration=declaration):
                twice(webhook_deliver, delivery.pk)  # the new review, then the trader's answer
        stack.wait_idle()
        return declaration

    once = walk("IT-ONCE", duplicate=False)
    many = walk("IT-MANY", duplicate=True)

    assert end_state(once)["status"] == DeclarationStatus.RELEASED
    assert end_state(many) == end_state(once)
    deliveries = webhook_receiver.requests_to("/food-safety")
    delivery_ids = Counter(r.headers[DELIVERY_HEADER] for r in deliveries)
    # Per declaration: the new review and the trader's answer, each acknowledged by the agency.
    assert len(delivery_ids) == 4
    assert Counter(r.headers[EVENT_HEADER] for r in deliveries) == {"review.created": 2, "review.answered": 2}
    assert all(n == 1 for n in delivery_ids.values()), "a delivered delivery was sent again"


def test_agency_endpoint_down_holds_up_no_other_agency_and_delivery_succeeds_when_it_returns(
    demo: dict[str, str], stack: Stack, webhook_receiver: WebhookReceiver
):
    secret = "standards-shared-secret"
    Agency.objects.filter(code="standards").update(
        webhook_url=webhook_receiver.url("/standards", status=503), webhook_secret=secret
    )
    Agency.objects.filter(code="food-safety").update(
        webhook_url=webhook_receiver.url("/food-safety", status=200), webhook_secret="food-secret"
    )
    declaration = lodge(api_as("broker", demo))
    stack.wait_until(lambda: status_of(declaration) == DeclarationStatus.IN_REVIEW, what="routing")

    def delivery(agency: str) -> WebhookDelivery:
        return WebhookDelivery.objects.get(review__declaration=declaration, agency__code=agency)

    # The attempt is counted when the row is taken, the answer stored after the POST: wait for both.
    stack.wait_until(
        lambda: delivery("standards").last_status_code == 503,
        what="the first attempt on the standards endpoint answered 503",
    )
    stack.wait_until(
        lambda: delivery("food-safety").status == DeliveryStatus.DELIVERED,
        what="the delivery to food safety while standards is down",
    )
    failing = delivery("standards")
    assert (failing.status, failing.last_status_code) == (DeliveryStatus.PENDING, 503)
    # Food safety's system answers through the API while standards' endpoint is still down.
    decide(api_as("food_officer", demo), review_of(declaration, "food-safety"), "approved", "Fine.")
    assert review_of(declaration, "food-safety").status == ReviewStatus.APPROVED

    webhook_receiver.status["/standards"] = 200
    stack.wait_until(
        lambda: delivery("standards").status == DeliveryStatus.DELIVERED,
        timeout=30,
        what="the retried delivery to standards",
    )
    arrived = webhook_receiver.requests_to("/standards")[-1]
    assert signature_verify(
        secret=secret,
        timestamp=arrived.headers[TIMESTAMP_HEADER],
        body=arrived.body,
        signature=arrived.headers[SIGNATURE_HEADER],
    )
    assert arrived.headers[DELIVERY_HEADER] == str(failing.pk)

    decide(api_as("standards_officer", demo), review_of(declaration, "standards"), "approved", "Fine.")
    stack.wait_until(lambda: released(declaration), what="the release decision")


def test_agency_onboarded_after_the_worker_started_gets_its_deliveries(
    demo: dict[str, str], stack: Stack, webhook_receiver: WebhookReceiver
):
    """The worker runs as in production, on the default queue: it takes on a new agency's queue."""
    wildlife = Agency.objects.create(
        code=f"wildlife-{uuid.uuid4().hex[:6]}",
        name="Wildlife Trade Office",
        service_level_hours=24,
        webhook_url=webhook_receiver.url("/wildlife", status=200),
        webhook_secret="wildlife-secret",
    )
    RoutingRule.objects.create(agency=wildlife, name="Clippers, for the test", hs_prefix="851090")
    declaration = lodge(api_as("broker", demo))

    stack.wait_until(
        lambda: WebhookDelivery.objects.filter(
            review__declaration=declaration, agency=wildlife, status=DeliveryStatus.DELIVERED
        ).exists(),
        what=f"the delivery on the new queue {wildlife.queue_name}",
    )
    (arrived,) = webhook_receiver.requests_to("/wildlife")
    assert signature_verify(
        secret="wildlife-secret",
        timestamp=arrived.headers[TIMESTAMP_HEADER],
        body=arrived.body,
        signature=arrived.headers[SIGNATURE_HEADER],
    )
    assert review_of(declaration, wildlife.code).items.get().sequence == 1


def test_a_declaration_owing_duties_waits_for_its_payment_and_the_worker_releases_it_once_paid(
    stack: Stack, demo: dict[str, str]
) -> None:
    """Every agency decides at once, but the goods wait for the duties; the payment's settlement
    reaches the worker through the outbox, and the worker releases the declaration."""
    facility_close(facility=Facility.objects.get(reference="GBGUA553202734852"))
    auto_decide_everywhere()
    importer = api_as("importer", demo)
    declaration = lodge(importer)
    stack.wait_until(
        lambda: (
            money_status(declaration).state is MoneyState.DUE
            and not AgencyReview.objects.filter(declaration=declaration, status__in=OPEN_STATUSES).exists()
            and AgencyReview.objects.filter(declaration=declaration).exists()
        ),
        what="the declaration routed, decided by every agency and charged",
    )
    assert status_of(declaration) == DeclarationStatus.IN_REVIEW  # waiting for the money only
    owed = money_status(declaration).outstanding
    assert owed > 0

    payment = payment_start(
        user=declaration.lodged_by,
        trader_account=declaration.trader_account,
        allocations=[(declaration, None)],
        method=PaymentMethod.BANK_TRANSFER,
    )
    payment_settle(payment_id=payment.pk, provider_reference="BANK-IT-1", amount=owed)
    stack.wait_until(lambda: released(declaration), what="the release after the payment settled")
    assert money_status(declaration).state is MoneyState.PAID
    assert ReleaseDecision.objects.get(declaration=declaration).outcome == Outcome.RELEASED
