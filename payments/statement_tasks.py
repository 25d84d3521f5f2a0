"""Tasks of guarantees, deferment accounts and statements (kept apart from ``payments.tasks``).

Beat runs ``statements_generate_monthly`` on the 1st of each month and ``statements_overdue_daily``
each day (settings' ``CELERY_BEAT_SCHEDULE``); the outbox hands the others their work. Each is a
thin call of an idempotent service.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import OperationalError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PERM_MEMBER, TraderAccountUserObjectPermission, User

_RETRY: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "max_retries": 5,
    "retry_backoff": 1,
    "retry_backoff_max": 60,
    "retry_jitter": True,
}


@shared_task(acks_late=True)
def statements_generate_monthly() -> int:
    """Last month's statement of every deferment account; the number made or found."""
    from .statements import Period, statements_generate

    return len(statements_generate(period=Period.containing(timezone.localdate()).previous))


@shared_task(acks_late=True)
def statements_overdue_daily() -> int:
    """Statements past their due day become overdue and suspend their facility."""
    from .statements import statements_mark_overdue

    return len(statements_mark_overdue())


@shared_task(**_RETRY)
def facility_notice_send(self: Any, facility_id: int, payload: dict[str, Any]) -> int:
    """E-mail a facility's notice to the active members of its trader account; how many were sent."""
    from .models import Facility

    facility = Facility.objects.filter(pk=facility_id).only("trader_account_id", "reference").first()
    if facility is None:
        return 0
    members = TraderAccountUserObjectPermission.objects.filter(
        content_object_id=facility.trader_account_id, permission__codename=PERM_MEMBER
    ).values("user_id")
    emails = list(
        User.objects.filter(pk__in=members, is_active=True).exclude(email="").values_list("email", flat=True)
    )
    if not emails:
        return 0
    subject = _("Payment facility %(reference)s") % {"reference": facility.reference}
    message = str(payload.get("message", ""))
    send_mass_mail(tuple((subject, message, settings.DEFAULT_FROM_EMAIL, [e]) for e in emails))
    return len(emails)


@shared_task(**_RETRY)
def payment_settled_securities(self: Any, payment_id: int, declaration_ids: list[int]) -> int:
    """After a payment settled: the statements it paid are marked paid (their facility reactivated
    when nothing else is overdue) and each declaration's security fitted to what it still owes."""
    from .statements import statements_settle_after_payment

    return statements_settle_after_payment(payment_id=payment_id, declaration_ids=declaration_ids)


def on_payment_settled(object_id: int, payload: dict[str, Any]) -> None:
    payment_settled_securities.delay(object_id, [int(pk) for pk in payload.get("declarations", [])])


def on_facility_notice(object_id: int, payload: dict[str, Any]) -> None:
    facility_notice_send.delay(object_id, payload)
