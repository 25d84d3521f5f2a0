"""The admin's changelists of release decisions and notifications cost fixed queries, however many rows.

Signed in as the ``administrator`` persona (a superuser). The rows come from the real pipeline:
releases decided by the system, refusals after an agency's rejection, a supervisor's override,
the notifications each of them sends. Each test lists one row, adds six, and asserts the same count.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import User
from clearance.models import Notification, ReleaseDecision
from declarations.models import Declaration

from ..agencies.fixtures import (
    ROSES,
    TOMATOES,
    agency_auto_decide,
    client_for,
    item,
    lodge,
    payload_with,
    review_of,
)
from ..agencies.test_admin_queries import ROW, changelist
from ..agencies.test_list_queries import claim, decide
from ..factories import UserFactory

pytestmark = pytest.mark.django_db

N851 = [{"code": "N851", "reference": "PHYTO-1", "status": "AE"}]


@pytest.fixture
def administrator(db: None) -> User:
    return UserFactory(username="administrator", role="admin", is_staff=True, is_superuser=True)


def decided(n: int, importer: User, food_officer: User, supervisor: User, capture: Any) -> Declaration:
    """Declaration ``n`` with a release decision and its notification, three ways in turn.

    Released by the system (roses: plant health decides automatically), refused after food safety
    rejected the tomatoes, or released by the supervisor over a waiting review (``decided_by`` set).
    """
    kind = n % 3
    if kind == 1:
        agency_auto_decide("plant-health")
        return lodge(importer, payload_with(item(1, ROSES, documents=N851), lrn=f"RD-{n}"), capture)
    declaration = lodge(importer, payload_with(item(1, TOMATOES), lrn=f"RD-{n}"), capture)
    if kind == 2:
        review = review_of(declaration, "food-safety")
        claim(food_officer, review)
        decide(food_officer, review, "rejected", capture, "Residues above the limit")
        return declaration
    with capture(execute=True):
        response = client_for(supervisor).post(
            f"/api/v1/declarations/{declaration.mrn}/override",
            {"outcome": "released", "reason": "Perishable, cleared at the dock"},
            format="json",
        )
    assert response.status_code == 200, response.json()
    return declaration


# Both changelists: session, user, the verified device (two-step verification), the count of what
# is shown, the count of every row ("of N total"), the page of rows with list_select_related
# (declaration and decided_by; user and declaration).
@pytest.mark.parametrize(
    ("model", "params", "queries"),
    [
        (ReleaseDecision, {}, 6),
        (ReleaseDecision, {"outcome__exact": "released"}, 6),
        (ReleaseDecision, {"q": "GB"}, 6),
        (Notification, {}, 6),
        (Notification, {"kind__exact": "released"}, 6),
    ],
    ids=["decisions", "decisions-released", "decisions-search", "notifications", "notifications-released"],
)
def test_release_and_notification_changelist_queries_do_not_grow_with_rows(
    client,
    administrator,
    importer,
    food_officer,
    supervisor,
    agencies,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
    model,
    params,
    queries,
):
    capture = django_capture_on_commit_callbacks
    decided(1, importer, food_officer, supervisor, capture)
    assert model.objects.count() == 1
    client.force_login(administrator)
    with_one, text = changelist(client, model, params)
    assert text.count(ROW) == 1
    for n in range(2, 8):
        decided(n, importer, food_officer, supervisor, capture)
    assert model.objects.count() == 7
    shown = model.objects.filter(
        **{key.removesuffix("__exact"): value for key, value in params.items() if key != "q"}
    ).count()

    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with django_assert_num_queries(with_one):
        response = client.get(url, params)

    assert with_one == queries
    assert response.content.decode().count(ROW) == shown
    if model is ReleaseDecision and not params:
        assert response.content.decode().count('<td class="field-decided_by nowrap">supervisor</td>') == 2
