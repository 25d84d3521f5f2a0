"""The invariant of the pipeline: no goods leave unseen.

Every goods item of every accepted declaration is on at least one agency review that a person
decides, whatever mix of goods it declares and whatever documents it carries. Checked on every real
HMRC sample under the demo's routing rules, and on every mix of claimed and unclaimed goods.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import User
from agencies.models import AgencyReview, ReviewStatus
from declarations.models import Declaration, Status

from ..agencies.fixtures import CATTLE, REVOLVERS, ROSES, SHAVER_PARTS, TEA, TOMATOES, item, payload_with
from ..declarations.test_conformance import EXPORTS, IMPORTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_client(db: None) -> APIClient:
    call_command("seed_demo")
    client = APIClient()
    client.force_authenticate(User.objects.get(username="broker"))
    return client


def uncovered_items(declaration: Declaration) -> list[int]:
    """Goods items of ``declaration`` that no review a person decides covers."""
    covered: dict[int, bool] = defaultdict(bool)
    for review in AgencyReview.objects.filter(declaration=declaration).prefetch_related("items"):
        for goods in review.items.all():
            covered[goods.sequence] |= review.status != ReviewStatus.AUTO_APPROVED
    return [seq for seq in declaration.items.values_list("sequence", flat=True) if not covered[seq]]


def lodge_and_route(client: APIClient, capture, **kwargs) -> Declaration:
    with capture(execute=True):
        response = client.post("/api/v1/declarations", **kwargs)
    assert response.status_code == 201, response.json()
    declaration = Declaration.objects.get(mrn=response.json()["mrn"])
    return declaration


def test_every_item_of_every_real_sample_is_reviewed_by_a_person(
    broker_client, django_capture_on_commit_callbacks
):
    for path in IMPORTS + EXPORTS:
        declaration = lodge_and_route(
            broker_client,
            django_capture_on_commit_callbacks,
            data=path.read_bytes(),
            content_type="application/xml",
        )
        declaration.refresh_from_db()
        assert declaration.status == Status.IN_REVIEW, path.name
        assert uncovered_items(declaration) == [], path.name


GOODS = [ROSES, TOMATOES, SHAVER_PARTS, TEA, REVOLVERS, CATTLE]
# Documents traders declare, on the item and at header level: none of them approves a review.
LICENCES = [
    {"code": "N851", "reference": "PHYTO-1", "status": "AE"},
    {"code": "N853", "reference": "NO-SUCH-LICENCE-0000", "status": "AE"},
    {"code": "C085", "reference": "CHED-1", "status": "AE"},
]


@pytest.mark.parametrize("size", [1, 2])
def test_every_mix_of_claimed_and_unclaimed_goods_is_reviewed_item_by_item(
    broker_client, django_capture_on_commit_callbacks, size
):
    for n, mix in enumerate(itertools.combinations(GOODS, size)):
        header = [{"kind": "additional", **doc} for doc in LICENCES]
        payload = payload_with(
            *(item(i + 1, code, documents=list(LICENCES)) for i, code in enumerate(mix)),
            lrn=f"MIX-{size}-{n}",
            documents=header,
        )
        declaration = lodge_and_route(
            broker_client, django_capture_on_commit_callbacks, data=payload, format="json"
        )
        declaration.refresh_from_db()
        assert declaration.status == Status.IN_REVIEW, mix
        assert uncovered_items(declaration) == [], mix
