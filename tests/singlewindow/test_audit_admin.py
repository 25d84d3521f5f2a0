"""Administrators read the audit log in the admin: filtered by action, actor, object and date, at a
fixed number of queries however long the log; nobody can add, change or delete an event there."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from singlewindow.audit import AuditEntry, audit_log_many
from singlewindow.models import AuditEvent
from tests.factories import TraderAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:singlewindow_auditevent_changelist"
ROW = '<th class="field-at'  # the first cell of each result row


@pytest.fixture
def administrator(db: None) -> User:
    return UserFactory(username="administrator", role="admin", is_staff=True, is_superuser=True)


def write(n: int, actor: User | None = None, action: str = "accounts.trader_account.changed") -> list[Any]:
    account = TraderAccountFactory()
    return audit_log_many(
        AuditEntry(action=action, obj=account, actor=actor, data={"n": i}) for i in range(n)
    )


def page(client: Any, params: dict[str, str]) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"action": "accounts.trader_account.changed"},
        {"actor": "ACTOR"},
        {"actor": "none"},
        {"object_type": "accounts.traderaccount"},
        {"q": "clerk"},
    ],
)
def test_the_audit_log_changelist_costs_the_same_queries_however_many_events(client, administrator, params):
    clerk = UserFactory(username="clerk")
    params = {k: (str(clerk.pk) if v == "ACTOR" else v) for k, v in params.items()}
    client.force_login(administrator)
    write(1, actor=clerk if "actor" not in params or params["actor"] != "none" else None)
    page(client, params)  # warm per-process caches
    few, _ = page(client, params)
    write(30, actor=clerk if "actor" not in params or params["actor"] != "none" else None)

    many, text = page(client, params)

    assert many == few
    assert text.count("accounts.trader_account.changed") >= 30


def test_the_audit_log_filters_by_object_and_by_actor(client, administrator):
    clerk = UserFactory(username="clerk")
    mine = write(2, actor=clerk)
    write(3)
    client.force_login(administrator)

    _, by_object = page(
        client, {"object_type": "accounts.traderaccount", "object_id": str(mine[0].object_id)}
    )
    _, by_actor = page(client, {"actor": str(clerk.pk)})
    _, by_system = page(client, {"actor": "none", "action": "accounts.trader_account.changed"})

    assert by_object.count(ROW) == 2
    assert by_actor.count(ROW) == 2
    assert by_system.count(ROW) == 3


def test_an_audit_event_cannot_be_added_changed_or_deleted_in_the_admin(client, administrator):
    (event,) = write(1)
    client.force_login(administrator)

    assert client.get(reverse("admin:singlewindow_auditevent_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:singlewindow_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    detail = client.get(reverse("admin:singlewindow_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert event.hash in detail.content.decode()
    client.post(reverse("admin:singlewindow_auditevent_change", args=[event.pk]), {"action": "x"})
    assert AuditEvent.objects.get(pk=event.pk).action == "accounts.trader_account.changed"


def test_a_word_searched_where_an_object_id_is_expected_is_not_an_error(client, administrator):
    write(1, actor=UserFactory(username="clerk"))
    client.force_login(administrator)

    _, text = page(client, {"q": "clerk"})

    assert text.count(ROW) == 1
