"""Facts for the Time Release Study's page tests, written directly (no clearance pipeline): a
minimal declaration per fact, the fact with its stages, then the day's histograms."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from accounts.models import User
from declarations.models import Declaration
from insights import services
from insights.models import ClearanceFact
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
) -> list[ClearanceFact]:
    """One released declaration per (day, total seconds); lane, type and office cycle unless given.
    The stages split the total: routing 5 %, review 55 %, payment 15 %, release the rest."""
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
    services.stage_daily_refresh(days={day for day, _total in durations})
    return facts
