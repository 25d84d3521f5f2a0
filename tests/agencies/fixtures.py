"""Agencies, their rules and officers for the clearance and agency tests, and a lodging helper.

The rules follow the demo: plant health takes chapter 06 (cut flowers) and requires a
phytosanitary certificate N851 (listed for the officer: a declared code approves nothing); food
safety takes
chapter 07 (vegetables); standards takes chapter 85 (electrical equipment). Customs has no rule
and reviews whatever nobody claims. Officers: ``plant_officer``, ``plant_officer_2``,
``food_officer``, ``standards_officer``, ``customs_officer``.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from agencies.access import agency_add_officer
from agencies.models import Agency, RoutingRule
from declarations.models import Declaration
from tests.declarations.payloads import import_payload
from tests.factories import AgencyFactory, UserFactory

ROSES = "06031100"  # fresh cut roses: plant health
TOMATOES = "07020000"  # fresh tomatoes: food safety
SHAVER_PARTS = "85109000"  # standards
TEA = "09021000"  # no rule in these tests: customs
REVOLVERS = "93020000"  # revolvers and pistols: no rule in these tests, so customs
CATTLE = "01022100"  # live pure-bred cattle: no rule in these fixtures (tests add a veterinary one)


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def item(
    sequence: int, code: str, *, origin: str = "US", documents: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    base = copy.deepcopy(import_payload()["items"][0])
    base.update(sequence=sequence, commodity_code=code, origin_country=origin, description=f"goods {code}")
    base["documents"] = (
        documents
        if documents is not None
        else [{"code": "N935", "reference": "12345/19.01.2024", "status": "AC"}]
    )
    return base


def payload_with(*items: dict[str, Any], lrn: str = "CLR-0001", **changes: Any) -> dict[str, Any]:
    return import_payload(lrn=lrn, goods_item_quantity=len(items), items=list(items), **changes)


def lodge(user: User, payload: dict[str, Any], capture: Any) -> Declaration:
    """Lodge through the API and run what happens after commit (routing, eager in tests)."""
    with capture(execute=True):
        response = client_for(user).post("/api/v1/declarations", payload, format="json")
    assert response.status_code == 201, response.json()
    return Declaration.objects.get(mrn=response.json()["mrn"])


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Any) -> None:
    """Attachments land in a temporary directory, never in the project's media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def customs(db: None) -> Agency:
    return AgencyFactory(code="customs", name="Customs and Excise", is_customs=True, service_level_hours=4)


@pytest.fixture
def plant_health(db: None) -> Agency:
    agency = AgencyFactory(code="plant-health", name="Plant Health Inspectorate", service_level_hours=24)
    RoutingRule.objects.create(
        agency=agency,
        name="Cut flowers",
        hs_prefix="06",
        required_documents=["N851"],
    )
    return agency


@pytest.fixture
def food_safety(db: None) -> Agency:
    agency = AgencyFactory(code="food-safety", name="Food Safety Authority", service_level_hours=24)
    RoutingRule.objects.create(agency=agency, name="Vegetables", hs_prefix="07")
    return agency


@pytest.fixture
def standards(db: None) -> Agency:
    agency = AgencyFactory(code="standards", name="Bureau of Standards", service_level_hours=48)
    RoutingRule.objects.create(agency=agency, name="Electrical equipment", hs_prefix="85")
    return agency


@pytest.fixture
def agencies(
    customs: Agency, plant_health: Agency, food_safety: Agency, standards: Agency
) -> dict[str, Agency]:
    return {a.code: a for a in (customs, plant_health, food_safety, standards)}


def _officer(username: str, agency: Agency) -> User:
    user = UserFactory(username=username, role="officer")
    agency_add_officer(agency=agency, user=user)
    return user


@pytest.fixture
def plant_officer(plant_health: Agency) -> User:
    return _officer("plant_officer", plant_health)


@pytest.fixture
def plant_officer_2(plant_health: Agency) -> User:
    return _officer("plant_officer_2", plant_health)


@pytest.fixture
def food_officer(food_safety: Agency) -> User:
    return _officer("food_officer", food_safety)


@pytest.fixture
def standards_officer(standards: Agency) -> User:
    return _officer("standards_officer", standards)


@pytest.fixture
def customs_officer(customs: Agency) -> User:
    return _officer("customs_officer", customs)


def mixed_payload(lrn: str = "CLR-MIXED-1", **changes: Any) -> dict[str, Any]:
    """Roses (plant health, no certificate), tomatoes (food safety), shaver parts (standards)."""
    return payload_with(item(1, ROSES), item(2, TOMATOES), item(3, SHAVER_PARTS), lrn=lrn, **changes)


@pytest.fixture
def routed(
    importer: User, agencies: dict[str, Agency], django_capture_on_commit_callbacks: Any
) -> Declaration:
    """The importer's mixed declaration, lodged and routed: plant, food and standards reviews open."""
    return lodge(importer, mixed_payload(), django_capture_on_commit_callbacks)


def agency_auto_decide(code: str, value: bool = True) -> None:
    """Turn an agency's automatic decisions on or off as an administrator does (a save).

    A save resets this process's routing cache at once; a queryset ``update()`` inside the test's
    one transaction would leave the cache's row-version stamp unchanged.
    """
    agency = Agency.objects.get(code=code)
    agency.auto_decide = value
    agency.save(update_fields=["auto_decide"])


def review_of(declaration: Declaration, agency_code: str) -> Any:
    return declaration.reviews.select_related("agency").get(agency__code=agency_code)
