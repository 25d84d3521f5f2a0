"""The service level of a request and the rules the database holds for the help desk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from support.models import (
    Category,
    RequestStatus,
    SatisfactionRating,
    ServiceRequest,
    service_level_due,
    service_level_hours,
    validate_local_path,
)

OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _request(user: User, *, category: str = Category.TECHNICAL, answered_after: timedelta | None = None):
    return ServiceRequest.objects.create(
        opened_by=user,
        category=category,
        subject="Cannot upload",
        created_at=OPENED,
        due_at=service_level_due(category, OPENED),
        first_response_at=OPENED + answered_after if answered_after is not None else None,
    )


@pytest.mark.parametrize(
    ("category", "hours"),
    [
        (Category.DECLARATION, 24),
        (Category.PAYMENT, 24),
        (Category.TECHNICAL, 8),
        (Category.ACCESS, 8),
        (Category.OTHER, 72),
    ],
)
def test_service_level_defaults_per_category(category: str, hours: int) -> None:
    assert service_level_hours(category) == hours
    assert service_level_due(category, OPENED) == OPENED + timedelta(hours=hours)


def test_service_level_setting_overrides_one_category_and_keeps_the_others(settings) -> None:
    settings.SW_SERVICE_REQUEST_HOURS = {"access": 4}
    assert service_level_hours(Category.ACCESS) == 4
    assert service_level_hours(Category.TECHNICAL) == 8


def test_answered_within_service_level_splits_timely_late_and_unanswered(importer: User) -> None:
    timely = _request(importer, answered_after=timedelta(hours=8))  # exactly at the due time
    late = _request(importer, answered_after=timedelta(hours=8, seconds=1))
    waiting = _request(importer)
    assert timely.answered_within_service_level is True
    assert late.answered_within_service_level is False
    assert waiting.answered_within_service_level is None
    assert list(ServiceRequest.objects.answered_within_service_level()) == [timely]
    assert list(ServiceRequest.objects.answered_late()) == [late]
    assert list(ServiceRequest.objects.overdue(now=OPENED + timedelta(hours=9))) == [waiting]
    assert not ServiceRequest.objects.overdue(now=OPENED + timedelta(hours=7)).exists()


@pytest.mark.parametrize(
    "page",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "help", "/a\nb"],
)
def test_page_must_be_a_local_path(page: str) -> None:
    with pytest.raises(ValidationError):
        validate_local_path(page)


def test_local_paths_with_query_are_accepted() -> None:
    validate_local_path("/declarations/26GB0000000000001/?tab=items")


def test_closed_request_needs_its_closing_time(importer: User) -> None:
    request = _request(importer)
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceRequest.objects.filter(pk=request.pk).update(status=RequestStatus.CLOSED)


@pytest.mark.parametrize("score", [0, 6])
def test_rating_score_outside_1_to_5_is_refused_by_the_database(importer: User, released, score: int) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        SatisfactionRating.objects.create(declaration=released, user=importer, score=score)


def test_a_declaration_holds_one_rating(importer: User, released) -> None:
    SatisfactionRating.objects.create(declaration=released, user=importer, score=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        SatisfactionRating.objects.create(declaration=released, user=importer, score=2)


def test_internal_notes_come_only_from_staff(importer: User) -> None:
    from support.models import ServiceRequestMessage

    request = _request(importer)
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceRequestMessage.objects.create(request=request, author=importer, body="x", internal=True)
