"""Facts for the Time Release Study's page tests, written directly (no clearance pipeline): a
minimal declaration per fact, the fact with its stages, then the day's histograms."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from accounts.models import User
from agencies.models import Agency, AgencyReview
from declarations.models import Declaration
from insights import services
from insights.models import ClearanceFact, ReviewFact
from tests.factories import UserFactory

LANES = ("green", "yellow", "red")
TYPES = ("IMA", "EXA", "IMD")
OFFICES = ("GBLHR001", "GBFXT001")


def _lodger() -> User:
    user = User.objects.filter(username="lodger").first()
    return user or UserFactory(username="lodger", role="trader")


def facts_make(
    durations: list[tuple[date, int]],
    *,
    lane: str | None = None,
    declaration_type: str | None = None,
    office: str | None = None,
    direction: str = "import",
    seed: int = 7,
    agencies: list[Agency] = (),  # type: ignore[assignment]
) -> list[ClearanceFact]:
    """One released declaration per (day, total seconds); lane, type and office cycle unless given.
    The stages split the total: routing 5 %, review 55 %, payment 15 %, release the rest. With
    ``agencies``, each declaration gets an approved review of each, taking part of the review
    stage, a third of them waiting on the trader for part of it."""
    lodger = _lodger()
    start = Declaration.objects.count()
    declarations = Declaration.objects.bulk_create(
        [
            Declaration(
                mrn=f"26GBTRS{start + i:011d}",
                lrn=f"TRS-{start + i}",
                status="released",
                channel="api_json",
                direction=direction,
                lodged_by=lodger,
            )
            for i in range(len(durations))
        ]
    )
    rng = random.Random(seed)
    facts = []
    for i, (declaration, (day, total)) in enumerate(zip(declarations, durations, strict=True)):
        decided = datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(3600)
        )
        routing, review, payment = total * 5 // 100, total * 55 // 100, total * 15 // 100
        facts.append(
            ClearanceFact(
                declaration=declaration,
                outcome="released",
                direction=direction,
                declaration_type=declaration_type or TYPES[i % len(TYPES)],
                office=office or OFFICES[i % len(OFFICES)],
                lane=lane or LANES[i % len(LANES)],
                lodged_at=decided - timedelta(seconds=total),
                decided_at=decided,
                day=day,
                routing_seconds=routing,
                review_seconds=review,
                payment_seconds=payment,
                release_seconds=total - routing - review - payment,
                total_seconds=total,
            )
        )
    ClearanceFact.objects.bulk_create(facts)
    review_facts = []
    for fact in facts:
        for n, agency in enumerate(agencies):
            started = fact.lodged_at + timedelta(seconds=fact.routing_seconds or 0)
            gross = int((fact.review_seconds or 0) * (0.4 + 0.6 * rng.random()) / (n + 1))
            review = AgencyReview.objects.create(
                declaration_id=fact.declaration_id,
                agency=agency,
                status="approved",
                created_at=started,
                decided_at=started + timedelta(seconds=gross),
                due_at=started + timedelta(hours=agency.service_level_hours),
            )
            waiting = int(gross * rng.random() * 0.6) if rng.random() < 0.33 else 0
            review_facts.append(
                ReviewFact(
                    review=review,
                    declaration_id=fact.declaration_id,
                    agency=agency,
                    status="approved",
                    started_at=started,
                    decided_at=review.decided_at,
                    day=fact.day,
                    gross_seconds=gross,
                    waiting_seconds=waiting,
                    net_seconds=gross - waiting,
                )
            )
    ReviewFact.objects.bulk_create(review_facts)
    services.stage_daily_refresh(days={day for day, _total in durations})
    return facts
