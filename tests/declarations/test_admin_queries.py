"""The admin's changelists of declarations and reference codes cost fixed queries, however many rows.

Signed in as the ``administrator`` persona (a superuser). Declarations are lodged through the API
(the routing after commit is not run: these lists do not show reviews) by the importer and the
exporter, so rows name different trader accounts, beside drafts. Each test lists one row, adds
six, and asserts the same exact count, with the filters, search and date drill-down in use.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from declarations import services
from declarations.models import Declaration, ReferenceCode, ReferenceCodeList
from tests.agencies.fixtures import ROSES, SHAVER_PARTS, client_for, item, payload_with
from tests.conftest import EXPORTER_EORI, IMPORTER_EORI
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROW = '<th class="field-'  # the first cell of each result row


@pytest.fixture
def administrator(db: None) -> User:
    return UserFactory(username="administrator", role="admin", is_staff=True, is_superuser=True)


def changelist_url(model: type) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def queries(client: Any, url: str, params: dict[str, str]) -> tuple[int, str]:
    """Queries of one GET (after a first one warmed the per-process caches), and the page."""
    client.get(url, params)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def lodge(user: User, lrn: str, capture: Any, *, items: int = 1, **changes: Any) -> Declaration:
    goods = [item(n, ROSES if n % 2 else SHAVER_PARTS) for n in range(1, items + 1)]
    with capture(execute=False):
        response = client_for(user).post(
            "/api/v1/declarations", payload_with(*goods, lrn=lrn, **changes), format="json"
        )
    assert response.status_code == 201, response.json()
    return Declaration.objects.get(mrn=response.json()["mrn"])


EXPORTER_PARTIES = [{"role": "declarant", "eori": EXPORTER_EORI}, {"role": "importer", "eori": EXPORTER_EORI}]


# session, user, the verified device, the count of what is shown, the count of every row ("of N
# total"), the page of declarations with their trader accounts, the date hierarchy's first and last
# dates and the dates of its next level (drilled into a year, only the months).
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, 8),
        ({"status__exact": "accepted"}, 8),
        ({"q": IMPORTER_EORI}, 8),
        ({"accepted_at__year": "{year}"}, 7),
    ],
    ids=["all", "accepted", "search-eori", "year"],
)
def test_declaration_changelist_queries_do_not_grow_with_declarations(
    client,
    administrator,
    importer,
    exporter,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
    params,
    expected,
):
    capture = django_capture_on_commit_callbacks
    params = {key: value.format(year=timezone.now().year) for key, value in params.items()}
    lodge(importer, "AD-1", capture)
    client.force_login(administrator)
    with_one, text = queries(client, changelist_url(Declaration), params)
    assert text.count(ROW) == 1
    for n in range(2, 5):
        lodge(importer, f"AD-{n}", capture, items=n)
        lodge(exporter, f"AE-{n}", capture, items=n, parties=EXPORTER_PARTIES)
        services.declaration_save_draft(user=importer, payload={"lrn": f"AD-DRAFT-{n}", "items": []})
    shown = {"": 10, "status__exact": 7, "q": 4, "accepted_at__year": 7}[next(iter(params), "")]

    with django_assert_num_queries(with_one):
        text = client.get(changelist_url(Declaration), params).content.decode()

    assert with_one == expected
    assert text.count(ROW) == shown
    assert "Sports Goods Export Ltd" in text or "q" in params  # the exporter's trader account column


# session, user, the verified device, the two counts, the page of codes with who updated them.
@pytest.mark.parametrize(
    "params",
    [{}, {"code_list__exact": "hs"}, {"is_active__exact": "1"}, {"q": "pilot"}],
    ids=["all", "hs", "active", "search"],
)
def test_reference_code_changelist_queries_do_not_grow_with_codes(
    client, administrator, django_assert_num_queries, params
):
    ReferenceCode.objects.create(
        code_list=ReferenceCodeList.HS, code="999901", description="Goods under a national pilot scheme"
    )
    client.force_login(administrator)
    with_one, text = queries(client, changelist_url(ReferenceCode), params)
    assert text.count(ROW) == 1
    editors = [administrator, UserFactory(username="administrator_2", role="admin", is_staff=True)]
    for n in range(2, 5):
        ReferenceCode.objects.create(
            code_list=ReferenceCodeList.HS,
            code=f"99990{n}",
            description=f"Goods under national pilot scheme {n}",
            updated_by=editors[n % 2],
        )
        ReferenceCode.objects.create(
            code_list=ReferenceCodeList.CUSTOMS_OFFICE,
            code=f"GBPIL00{n}",
            description=f"Pilot office {n}",
            is_active=n % 2 == 0,
            updated_by=editors[(n + 1) % 2],
        )
    shown = ReferenceCode.objects.filter(
        **{key.removesuffix("__exact"): value for key, value in params.items() if key != "q"}
    ).count()
    if "q" in params:
        shown = ReferenceCode.objects.filter(description__icontains="pilot").count()

    with django_assert_num_queries(with_one):
        text = client.get(changelist_url(ReferenceCode), params).content.decode()

    assert with_one == 6
    assert text.count(ROW) == shown > 1
    assert "administrator_2" in text  # the updated_by column
