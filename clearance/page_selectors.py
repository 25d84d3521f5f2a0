"""Reads the supervisor's pages need on top of ``clearance.selectors``; plain reads, no writes."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from agencies.models import OPEN_STATUSES, AgencyReview
from agencies.page_selectors import trader_accounts_matching
from declarations.models import Declaration
from declarations.models import Status as DeclarationStatus

from . import selectors


def needs_human() -> Q:
    """Declarations a person must look at.

    What ``clearance.selectors`` counts (an inspection required, a review overdue), and also: refused
    (a supervisor may still release), and in review with every review decided but no release
    decision (consolidation could not decide: the lane or payment held it, or its task was lost).
    """
    any_review = AgencyReview.objects.filter(declaration=OuterRef("pk"))
    open_review = any_review.filter(status__in=OPEN_STATUSES)
    undecided = (
        Q(status=DeclarationStatus.IN_REVIEW)
        & Q(Exists(any_review))
        & ~Q(Exists(open_review))
        & Q(release_decision__isnull=True)
    )
    return selectors._needs_human() | Q(status=DeclarationStatus.REFUSED) | undecided


def declarations_overview(
    user: User, *, status: str = "", mrn: str = "", trader: str = "", needs_human_only: bool = False
) -> QuerySet[Declaration]:
    """Every declaration with every agency's review, filtered; none for anyone but supervisors."""
    declarations = selectors.declarations_for_supervisor(user, status=status, mrn=mrn)
    if trader.strip():
        declarations = declarations.filter(trader_account__in=trader_accounts_matching(trader))
    if needs_human_only:
        declarations = declarations.filter(needs_human())
    return declarations
