"""The state predicates on declarations and reviews: what each answers for every status, without a
query (pages call them per row)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accounts.models import User
from agencies.models import AgencyReview, ReviewStatus
from declarations.models import Declaration, Status

DECLARATION_PREDICATES = {
    "awaits_routing": {Status.ACCEPTED},
    "is_under_review": {Status.IN_REVIEW, Status.INFO_REQUESTED},
    "is_in_review": {Status.IN_REVIEW},
    "awaits_information": {Status.INFO_REQUESTED},
    "is_closed": {Status.RELEASED, Status.REFUSED, Status.CANCELLED, Status.INVALIDATED},
    # A supervisor releases what is under review or refused, and refuses only what is under review.
    "may_be_released_by_override": {Status.IN_REVIEW, Status.INFO_REQUESTED, Status.REFUSED},
    "may_be_refused_by_override": {Status.IN_REVIEW, Status.INFO_REQUESTED},
    "may_be_overridden": {Status.IN_REVIEW, Status.INFO_REQUESTED, Status.REFUSED},
}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("predicate", sorted(DECLARATION_PREDICATES))
def test_declaration_predicates_for_every_status(predicate, status):
    declaration = Declaration(status=status)
    assert getattr(declaration, predicate) is (status in DECLARATION_PREDICATES[predicate])


REVIEW_PREDICATES = {
    "is_decided": {ReviewStatus.APPROVED, ReviewStatus.AUTO_APPROVED, ReviewStatus.REJECTED},
    "is_open": {
        ReviewStatus.PENDING,
        ReviewStatus.IN_REVIEW,
        ReviewStatus.INFO_REQUESTED,
        ReviewStatus.INSPECTION_REQUIRED,
    },
    "is_approved": {ReviewStatus.APPROVED, ReviewStatus.AUTO_APPROVED},
    "is_rejected": {ReviewStatus.REJECTED},
    "is_in_review": {ReviewStatus.IN_REVIEW},
    "awaits_answer": {ReviewStatus.INFO_REQUESTED},
    "requires_inspection": {ReviewStatus.INSPECTION_REQUIRED},
    "can_claim": {ReviewStatus.PENDING},  # when nobody holds it
}


@pytest.mark.parametrize("status", list(ReviewStatus))
@pytest.mark.parametrize("predicate", sorted(REVIEW_PREDICATES))
def test_review_predicates_for_every_status(predicate, status):
    review = AgencyReview(status=status)
    assert getattr(review, predicate) is (status in REVIEW_PREDICATES[predicate])


def test_a_review_somebody_holds_or_a_supervisor_withdrew_cannot_be_claimed():
    officer = User(pk=7)
    assert not AgencyReview(status=ReviewStatus.PENDING, claimed_by_id=officer.pk).can_claim
    withdrawn = AgencyReview(status=ReviewStatus.PENDING, withdrawn_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert not withdrawn.can_claim


@pytest.mark.parametrize("status", list(ReviewStatus))
def test_only_the_holder_decides_a_review_in_review_or_after_an_inspection(status):
    holder, other = User(pk=7), User(pk=8)
    review = AgencyReview(status=status, claimed_by_id=holder.pk)
    may = status in (ReviewStatus.IN_REVIEW, ReviewStatus.INSPECTION_REQUIRED)
    assert review.can_decide(holder) is may
    assert review.can_decide(other) is False
    assert AgencyReview(status=status).can_decide(holder) is False  # nobody holds it
    assert review.can_release_claim(holder) is (status == ReviewStatus.IN_REVIEW)
    assert review.can_release_claim(other) is False


@pytest.mark.django_db
def test_predicates_read_the_loaded_row_only(django_assert_num_queries):
    declaration = Declaration(status=Status.IN_REVIEW)
    review = AgencyReview(status=ReviewStatus.IN_REVIEW, claimed_by_id=7, declaration=declaration)
    holder = User(pk=7)
    with django_assert_num_queries(0):
        for predicate in DECLARATION_PREDICATES:
            getattr(declaration, predicate)
        for predicate in REVIEW_PREDICATES:
            getattr(review, predicate)
        review.can_decide(holder)
        review.can_release_claim(holder)
        review.is_held_by(holder)
