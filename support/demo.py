"""Demo service requests (``clearance.demo.seed_demo`` calls ``seed_support_demo`` through its hook):
one the help desk answered within its service level, one waiting, one overdue. Idempotent.

Rows are written directly, back-dated, inside seed_demo's transaction (the services are durable
and stamp the present).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import TraderAccount, User

from .models import Category, RequestStatus, ServiceRequest, ServiceRequestMessage, service_level_due

IMPORTER, EXPORTER = "GB553202734852", "GB427168118378"

# (opened by, account, category, subject, question, hours ago, answer after hours or None, note)
DEMO_REQUESTS: list[tuple[str, str, str, str, str, int, float | None, str]] = [
    (
        "importer",
        IMPORTER,
        Category.PAYMENT,
        "Deferment account for duties",
        "How do we use our deferment account to pay the duties on our next import?",
        30,
        3.5,
        "",
    ),
    (
        "broker",
        EXPORTER,
        Category.TECHNICAL,
        "XML upload refused: schema error",
        "Uploading an export declaration for Albion Sports Goods fails with a schema error on "
        "GoodsShipment. The same file validated yesterday.",
        2,
        None,
        "Same report from two other brokers since this morning.",
    ),
    (
        "exporter",
        EXPORTER,
        Category.ACCESS,
        "Add a colleague to our account",
        "Our new shipping clerk needs to lodge declarations for Albion Sports Goods. How do we add her?",
        20,
        None,
        "",
    ),
]


def seed_support_demo(*, accounts: dict[str, TraderAccount], **_: Any) -> None:
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["importer", "exporter", "broker", "supervisor"])
    }
    staff = users.get("supervisor")
    now = timezone.now()
    for username, eori, category, subject, question, hours_ago, answer_after, note in DEMO_REQUESTS:
        opener = users.get(username)
        if opener is None or ServiceRequest.objects.filter(opened_by=opener, subject=subject).exists():
            continue
        opened = now - timedelta(hours=hours_ago)
        answered = opened + timedelta(hours=answer_after) if answer_after is not None else None
        request = ServiceRequest.objects.create(
            trader_account=accounts.get(eori),
            opened_by=opener,
            page="/",
            category=category,
            subject=subject,
            status=RequestStatus.ANSWERED if answered else RequestStatus.OPEN,
            created_at=opened,
            due_at=service_level_due(category, opened),
            first_response_at=answered,
            assigned_to=staff if answered or note else None,
        )
        request.reference = ServiceRequest.make_reference(request.pk, opened.year)
        request.save(update_fields=["reference"])
        ServiceRequestMessage.objects.create(request=request, author=opener, body=question, created_at=opened)
        if note and staff is not None:
            ServiceRequestMessage.objects.create(
                request=request, author=staff, body=note, from_staff=True, internal=True, created_at=now
            )
        if answered and staff is not None:
            ServiceRequestMessage.objects.create(
                request=request,
                author=staff,
                from_staff=True,
                created_at=answered,
                body="Declare method E in DE 4/8 and your deferment account number (DAN) as an "
                "additional document: the duties are charged to the account and released at once.",
            )
