"""Declarations in a lane, officers, photos: what the control tests share.

A declaration is put in its lane the way risk management does it: a rule matching every
declaration with enough weight (what the risk engine scores, once it routes) and the assessment
with that rule's hit recorded before routing (what the engine's upsert leaves in place or
replaces with the same lane). Random selection of the green lane is off (share 0).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from agencies.access import agency_add_officer
from agencies.models import Agency
from clearance import services
from clearance.models import Lane, RiskAssessment, RiskRule, RiskSettings, RuleHit
from declarations.models import Declaration
from tests.agencies.fixtures import (  # noqa: F401
    agencies,
    agency_auto_decide,
    client_for,
    customs,
    customs_officer,
    food_officer,
    food_safety,
    item,
    media_in_tmp,
    payload_with,
    plant_health,
    plant_officer,
    plant_officer_2,
    standards,
    standards_officer,
)
from tests.factories import UserFactory

TEA = "09021000"  # customs alone
ROSES = "06031100"  # plant health
WEIGHTS = {Lane.GREEN: 0, Lane.YELLOW: 40, Lane.RED: 80}


def png(width: int = 96, height: int = 64, rgb: tuple[int, int, int] = (29, 53, 87)) -> bytes:
    """A real PNG image (a plain colour): what a phone's camera sends, in miniature."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


PNG = png()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 64 + b"\xff\xd9"  # the magic bytes and an end


@pytest.fixture(autouse=True)
def no_random_selection(db: None) -> None:
    RiskSettings.objects.all().delete()
    RiskSettings.objects.create(random_share=0)


@pytest.fixture
def customs_officer_2(customs: Agency) -> User:  # noqa: F811 - the fixture above
    user = UserFactory(username="customs_officer_2", role="officer")
    agency_add_officer(agency=customs, user=user)
    return user


def lodge_unrouted(user: User, *items: dict[str, Any], lrn: str, capture: Any) -> Declaration:
    with capture(execute=False):  # routing not run: the test puts the lane first
        response = client_for(user).post("/api/v1/declarations", payload_with(*items, lrn=lrn), format="json")
    assert response.status_code == 201, response.json()
    return Declaration.objects.get(mrn=response.json()["mrn"])


def set_lane(declaration: Declaration, lane: str) -> RiskAssessment:
    """The declaration's assessment says ``lane``, with a rule's hit (what hit rates count)."""
    rule, _ = RiskRule.objects.get_or_create(
        name=f"Everything, {lane}",
        defaults={
            "reason": f"test rule sending everything to {lane}",
            "weight": WEIGHTS[Lane(lane)],
            "valid_from": date(2020, 1, 1),
            "confidential": False,
            "is_active": lane != Lane.GREEN,
        },
    )
    assessment, _ = RiskAssessment.objects.update_or_create(
        declaration=declaration,
        defaults={
            "score": rule.weight,
            "lane": lane,
            "reasons": [
                {
                    "rule": rule.pk,
                    "name": rule.name,
                    "reason": rule.reason,
                    "points": rule.weight,
                    "item": None,
                    "confidential": False,
                }
            ]
            if lane != Lane.GREEN
            else [],
            "assessed_at": timezone.now(),
        },
    )
    if lane != Lane.GREEN:
        RuleHit.objects.get_or_create(rule=rule, assessment=assessment, defaults={"points": rule.weight})
    return assessment


def routed_in_lane(
    user: User, lane: str, *items: dict[str, Any], lrn: str, capture: Any, auto: bool = True
) -> Declaration:
    """Lodged, put in ``lane``, routed (customs approving automatically unless ``auto`` is off)."""
    agency_auto_decide("customs", auto)
    declaration = lodge_unrouted(user, *(items or (item(1, TEA),)), lrn=lrn, capture=capture)
    set_lane(declaration, lane)
    with capture(execute=True):
        services.declaration_route(declaration_id=declaration.pk)
    declaration.refresh_from_db()
    return declaration


def in_an_hour() -> Any:
    return timezone.now() + timedelta(hours=1)
