"""The overdue alert: a review still open past its due time tells its agency's officers and the
customs supervisors, once.

``overdue_alerts_send`` (beat, ``insights-overdue-alerts``) claims each overdue review by inserting
its ``OverdueAlert`` row (``ON CONFLICT DO NOTHING … RETURNING``): of two sweeps at once, or a
sweep run again, each review goes to the one that inserted its row, and the notifications are
written in the same transaction as the claim (both or neither).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from agencies.models import PERM_OFFICER, AgencyReview, AgencyUserObjectPermission
from clearance.models import Notification, NotificationKind

from .service_levels import overdue_open
from .service_levels_models import OverdueAlert

BATCH = 200


def _claim(review_ids: list[int], now: Any) -> set[int]:
    if not review_ids:
        return set()
    table = connection.ops.quote_name(OverdueAlert._meta.db_table)
    rows = ", ".join(["(%s, %s, 0)"] * len(review_ids))
    params: list[Any] = []
    for review_id in review_ids:
        params += [review_id, now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (review_id, alerted_at, recipients) VALUES {rows} "  # noqa: S608 - names are ours
            "ON CONFLICT (review_id) DO NOTHING RETURNING review_id",
            params,
        )
        return {int(row[0]) for row in cursor.fetchall()}


def _send_mails(mails: list[tuple[str, str, str, list[str]]]) -> None:
    send_mass_mail(tuple(mails), fail_silently=False)


def staff_notify(*, users: Iterable[User], declaration: Any, message: str) -> list[Notification]:
    """An overdue notification to each of these officials (portal, in the caller's transaction);
    e-mails after commit, outside it (a mail server down undoes nothing), as
    ``clearance.services.trader_notify`` does for traders."""
    recipients = list(users)
    notifications = Notification.objects.bulk_create(
        Notification(user=user, declaration=declaration, kind=NotificationKind.OVERDUE, message=message)
        for user in recipients
    )
    subject = _("Declaration %(mrn)s: review overdue") % {"mrn": declaration.mrn}
    mails = [(subject, message, settings.DEFAULT_FROM_EMAIL, [u.email]) for u in recipients if u.email]
    if mails:
        transaction.on_commit(lambda: _send_mails(mails), robust=True)
    return notifications


def _officers_by_agency(agency_ids: set[int]) -> dict[int, list[User]]:
    rows = AgencyUserObjectPermission.objects.filter(
        content_object_id__in=agency_ids, permission__codename=PERM_OFFICER, user__is_active=True
    ).select_related("user")
    officers: dict[int, list[User]] = defaultdict(list)
    for row in rows:
        officers[row.content_object_id].append(row.user)
    return officers


@transaction.atomic(durable=True)
def overdue_alerts_send(*, limit: int = BATCH) -> int:
    """Alert the reviews that fell overdue and were never alerted, oldest due first, ``limit`` at a
    time; returns how many reviews were alerted by this call.

    Each claimed review: a portal notification (kind ``overdue``, e-mail after commit) to every
    active officer of its agency and every active customs supervisor. The ``OverdueAlert`` row is
    the record (when, to how many). A review waiting for the trader's answer is not overdue
    (its clock is stopped); one decided or withdrawn before the sweep is not alerted.
    """
    now = timezone.now()
    alerted = OverdueAlert.objects.filter(review_id=OuterRef("pk"))
    candidates = list(
        overdue_open(now)
        .filter(~Exists(alerted))
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    claimed = _claim(candidates, now)
    if not claimed:
        return 0
    reviews = list(
        AgencyReview.objects.filter(pk__in=claimed)
        .select_related("agency", "declaration")
        .order_by("due_at", "pk")
    )
    officers = _officers_by_agency({r.agency_id for r in reviews})
    supervisors = list(User.objects.filter(groups__name=Role.SUPERVISOR.value, is_active=True).order_by("pk"))
    counts: dict[int, int] = {}
    for review in reviews:
        recipients = {u.pk: u for u in [*officers.get(review.agency_id, []), *supervisors]}
        message = _(
            "Declaration %(mrn)s: the review by %(agency)s was due %(due)s and is not decided yet."
        ) % {
            "mrn": review.declaration.mrn,
            "agency": review.agency.name,
            "due": formats.date_format(timezone.localtime(review.due_at), "DATETIME_FORMAT"),
        }
        staff_notify(
            users=sorted(recipients.values(), key=lambda u: u.pk),
            declaration=review.declaration,
            message=message,
        )
        counts[review.pk] = len(recipients)
    for review_id, n in counts.items():
        OverdueAlert.objects.filter(pk=review_id).update(recipients=n)
    return len(reviews)
