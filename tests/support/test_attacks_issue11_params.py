"""Issue 11's help desk, audit and verification pages given nonsense in their paths and query
strings: a 404, a form error or the default page, never a server error."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

HUGE = "9" * 30

SUPERVISOR_PAGES = [
    ("/help/desk/", {"status": "\x00", "category": "x", "overdue": "maybe", "assigned": "you", "page": HUGE}),
    ("/help/desk/", {"page": "-1"}),
    (f"/help/desk/SR-{HUGE}/", {}),
    ("/help/desk/%00/", {}),
    ("/clearance/audits/", {"status": "\x00", "selection": "x" * 300, "overdue": "1", "page": "abc"}),
    (f"/clearance/audits/{HUGE}/", {}),
    ("/clearance/audits/0/", {}),
    (f"/clearance/audits/criteria/{HUGE}/", {}),
    ("/inbox/", {"page": HUGE}),
]
TRADER_PAGES = [
    ("/help/", {"page": "\x00"}),
    ("/help/new/", {"page": "//evil.example/", "declaration": "\x00"}),
    ("/help/new/", {"declaration": "X" * 300}),
    (f"/help/SR-{HUGE}/", {}),
    ("/declarations/", {"trader_account": HUGE}),
    ("/api/v1/declarations", {"trader_account": HUGE}),
    ("/api/v1/declarations", {"trader_account": "\x00"}),
    ("/api/v1/service-requests/%00", {}),
    ("/inbox/", {"page": "last"}),
]
PUBLIC_PAGES = [
    ("/verify/", {"code": "\x00"}),
    ("/verify/", {"code": "x" * 5000}),
    ("/verify/%00/", {}),
    ("/verify/abcd-efgh-jkmn/", {}),
    ("/verify/" + "A" * 2000 + "/", {}),
]


def _get(client, page, query):
    client.raise_request_exception = False
    return client.get(page, query).status_code


@pytest.mark.parametrize(("page", "query"), SUPERVISOR_PAGES, ids=range(len(SUPERVISOR_PAGES)))
def test_supervisor_pages_never_give_a_server_error(client, supervisor, page, query):
    client.force_login(supervisor)
    assert _get(client, page, query) in (200, 400, 404)


@pytest.mark.parametrize(("page", "query"), TRADER_PAGES, ids=range(len(TRADER_PAGES)))
def test_trader_pages_never_give_a_server_error(client, broker, page, query):
    client.force_login(broker)
    assert _get(client, page, query) in (200, 400, 404)


@pytest.mark.parametrize(("page", "query"), PUBLIC_PAGES, ids=range(len(PUBLIC_PAGES)))
def test_the_verification_page_never_gives_a_server_error(client, page, query):
    assert _get(client, page, query) in (200, 400, 404, 429)


def test_mark_all_read_with_a_huge_or_foreign_bound_marks_only_ones_own(client, importer, outsider):
    from clearance.models import Notification

    mine = Notification.objects.create(user=importer, message="yours")
    theirs = Notification.objects.create(user=outsider, message="not yours")
    client.force_login(importer)
    client.raise_request_exception = False
    for upto in (HUGE, f"-{HUGE}", "1e9", str(theirs.pk)):
        assert client.post("/inbox/read/", {"upto": upto}).status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
