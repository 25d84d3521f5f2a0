"""The help desk through its pages: a trader asks, the help desk answers, each sees what it may."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from accounts.models import User
from clearance.models import Notification, NotificationKind
from singlewindow.models import AuditEvent
from support import services
from support.models import Category, RequestStatus, ServiceRequest, ServiceRequestMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def open_request(user: User, **extra: Any) -> ServiceRequest:
    fields = {"category": Category.TECHNICAL, "subject": "Upload fails", "body": "It says 500."}
    return services.service_request_open(user=user, **{**fields, **extra})


def text(response: Any) -> str:
    return response.content.decode()


# Opening --------------------------------------------------------------------------------------


def test_trader_opens_a_request_from_a_declaration_with_page_and_account(client, importer, declaration):
    client.force_login(importer)
    page = f"/declarations/{declaration.mrn}/"
    form = client.get(reverse("support:new"), {"declaration": declaration.mrn, "page": page})
    assert form.status_code == 200
    assert declaration.mrn in text(form)
    response = client.post(
        reverse("support:new"),
        {
            "category": Category.DECLARATION,
            "trader_account": declaration.trader_account_id,
            "subject": "Why in review?",
            "body": "Still in review after two days.",
            "declaration": declaration.mrn,
            "page": page,
        },
    )
    created = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("support:detail", args=[created.reference])
    assert created.reference.startswith("SR-") and created.reference.endswith(f"{created.pk:06d}")
    assert (created.declaration, created.page, created.trader_account_id) == (
        declaration,
        page,
        declaration.trader_account_id,
    )
    assert created.status == RequestStatus.OPEN
    assert (created.due_at - created.created_at).total_seconds() == 24 * 3600
    assert AuditEvent.objects.filter(action="support.service_request.opened", object_id=created.pk).exists()


def test_missing_fields_come_back_in_an_error_summary_linked_to_each_field(client, importer):
    client.force_login(importer)
    response = client.post(reverse("support:new"), {"subject": "", "body": ""})
    assert response.status_code == 200
    page = text(response)
    assert 'id="error-summary"' in page
    assert 'href="#id_category_0"' in page and 'href="#id_subject"' in page and 'href="#id_body"' in page
    assert not ServiceRequest.objects.exists()


def test_attaching_a_declaration_the_user_may_not_see_is_404(client, outsider, declaration):
    client.force_login(outsider)
    assert client.get(reverse("support:new"), {"declaration": declaration.mrn}).status_code == 404
    response = client.post(
        reverse("support:new"),
        {"category": "declaration", "subject": "x", "body": "y", "declaration": declaration.mrn},
    )
    assert response.status_code == 404
    assert not ServiceRequest.objects.exists()


def test_opening_for_an_account_the_user_may_not_act_for_is_refused(client, outsider, importer_account):
    client.force_login(outsider)
    response = client.post(
        reverse("support:new"),
        {"category": "payment", "trader_account": importer_account.pk, "subject": "x", "body": "y"},
    )
    assert response.status_code == 200
    assert 'href="#id_trader_account"' in text(response)
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("page", ["https://evil.example/phish", "//evil.example/", "/\\evil.example"])
def test_an_external_page_is_never_kept_nor_linked(client, importer, page):
    client.force_login(importer)
    form = text(client.get(reverse("support:new"), {"page": page}))
    # (The language switch of every page carries the encoded full path of the page: not a link.)
    assert f'href="{escape(page)}"' not in form and f'value="{escape(page)}"' not in form
    assert "Back to the page" not in form
    client.post(reverse("support:new"), {"category": "other", "subject": "x", "body": "y", "page": page})
    created = ServiceRequest.objects.get()
    assert created.page == ""
    assert "evil.example" not in text(client.get(reverse("support:detail", args=[created.reference])))


def test_the_page_frame_offers_get_help_with_the_current_path(client, importer):
    client.force_login(importer)
    page = text(client.get(reverse("declarations:list"), {"status": "released"}))
    assert f'href="{reverse("support:new")}?page=/declarations/%3Fstatus%3Dreleased"' in page


# Access -----------------------------------------------------------------------------------------


def test_another_traders_request_is_404_by_reference_for_every_action(
    client, importer, importer_account, outsider
):
    theirs = open_request(importer, trader_account=importer_account)
    client.force_login(outsider)
    ref = theirs.reference
    assert client.get(reverse("support:detail", args=[ref])).status_code == 404
    assert client.post(reverse("support:reply", args=[ref]), {"body": "hi"}).status_code == 404
    assert client.post(reverse("support:close", args=[ref])).status_code == 404
    assert client.get(reverse("support:desk_detail", args=[ref])).status_code == 404
    assert client.post(reverse("support:desk_answer", args=[ref]), {"body": "x"}).status_code == 404
    assert client.get(reverse("support:desk")).status_code == 404
    assert ref not in text(client.get(reverse("support:mine")))
    theirs.refresh_from_db()
    assert theirs.status == RequestStatus.OPEN and theirs.messages.count() == 1


def test_a_fellow_member_sees_the_accounts_request_but_a_representative_only_its_own(
    client, importer, broker, importer_account
):
    colleague = UserFactory(username="colleague", role="trader")
    from accounts.access import account_add_member

    account_add_member(account=importer_account, user=colleague)
    asked_by_importer = open_request(importer, trader_account=importer_account)
    asked_by_broker = open_request(broker, trader_account=importer_account)
    client.force_login(colleague)
    listed = text(client.get(reverse("support:mine")))
    assert asked_by_importer.reference in listed and asked_by_broker.reference in listed
    client.force_login(broker)
    assert client.get(reverse("support:detail", args=[asked_by_importer.reference])).status_code == 404
    assert client.get(reverse("support:detail", args=[asked_by_broker.reference])).status_code == 200


def test_a_revoked_representative_loses_what_it_asked_for_that_account(client, broker, importer_account):
    from accounts.access import account_revoke_representative

    asked = open_request(broker, trader_account=importer_account)
    account_revoke_representative(account=importer_account, user=broker)
    client.force_login(broker)
    assert client.get(reverse("support:detail", args=[asked.reference])).status_code == 404


def test_staff_notes_are_never_shown_to_the_trader(client, importer, supervisor):
    asked = open_request(importer)
    services.service_request_note(request=asked, staff=supervisor, body="SECRET-NOTE checked logs")
    services.service_request_answer(request=asked, staff=supervisor, body="Fixed, try again.")
    client.force_login(importer)
    page = text(client.get(reverse("support:detail", args=[asked.reference])))
    assert "Fixed, try again." in page
    assert "SECRET-NOTE" not in page
    assert "supervisor" not in page  # the help desk answers, not a named official
    notification = Notification.objects.get(user=importer)
    assert "SECRET-NOTE" not in notification.message
    client.force_login(supervisor)
    assert "SECRET-NOTE" in text(client.get(reverse("support:desk_detail", args=[asked.reference])))


def test_officers_and_traders_are_not_the_help_desk(client, importer, django_user_model):
    officer = UserFactory(username="officer_x", role="officer")
    for user in (importer, officer):
        client.force_login(user)
        assert client.get(reverse("support:desk")).status_code == 404


def test_a_holder_of_the_help_desk_permission_works_the_queue(client, importer):
    from django.contrib.auth.models import Permission

    agent = UserFactory(username="agent")
    agent.user_permissions.add(Permission.objects.get(codename="answer_servicerequest"))
    asked = open_request(importer)
    client.force_login(agent)
    assert asked.reference in text(client.get(reverse("support:desk")))


# The thread -------------------------------------------------------------------------------------


def test_answer_notifies_the_trader_by_portal_and_mail_and_counts_the_first_answer(
    client, importer, supervisor, django_capture_on_commit_callbacks
):
    asked = open_request(importer)
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("support:desk_answer", args=[asked.reference]), {"body": "Restart it."}
        )
    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.status == RequestStatus.ANSWERED
    assert asked.first_response_at is not None and asked.answered_within_service_level is True
    assert asked.assigned_to == supervisor
    note = Notification.objects.get(user=importer)
    assert note.kind == NotificationKind.SERVICE_REQUEST and asked.reference in note.message
    assert [m.to for m in mail.outbox] == [[importer.email]]
    assert AuditEvent.objects.filter(action="support.service_request.answered", object_id=asked.pk).exists()


def test_a_second_answer_keeps_the_first_answer_time(importer, supervisor):
    asked = open_request(importer)
    services.service_request_answer(request=asked, staff=supervisor, body="One")
    first = ServiceRequest.objects.get().first_response_at
    services.service_request_reply(request=asked, user=importer, body="Still broken")
    assert ServiceRequest.objects.get().status == RequestStatus.OPEN
    services.service_request_answer(request=asked, staff=supervisor, body="Two")
    assert ServiceRequest.objects.get().first_response_at == first


def test_an_internal_note_is_not_an_answer(importer, supervisor):
    asked = open_request(importer)
    services.service_request_note(request=asked, staff=supervisor, body="looking")
    asked.refresh_from_db()
    assert asked.first_response_at is None and asked.status == RequestStatus.OPEN
    assert not Notification.objects.exists()


def test_trader_replies_and_closes_then_cannot_write_again(client, importer, supervisor):
    asked = open_request(importer)
    services.service_request_answer(request=asked, staff=supervisor, body="Done")
    client.force_login(importer)
    assert (
        client.post(reverse("support:reply", args=[asked.reference]), {"body": "Thanks"}).status_code == 302
    )
    assert client.post(reverse("support:close", args=[asked.reference])).status_code == 302
    asked.refresh_from_db()
    assert asked.status == RequestStatus.CLOSED and asked.closed_at is not None
    client.post(reverse("support:reply", args=[asked.reference]), {"body": "Again"})
    assert not ServiceRequestMessage.objects.filter(body="Again").exists()


def test_empty_reply_is_shown_with_the_error_summary(client, importer):
    asked = open_request(importer)
    client.force_login(importer)
    response = client.post(reverse("support:reply", args=[asked.reference]), {"body": "  "})
    assert response.status_code == 400
    assert 'href="#id_body"' in text(response)


def test_two_staff_claim_at_once_and_the_second_is_told(importer, supervisor, desk_admin):
    from singlewindow.errors import Conflict

    asked = open_request(importer)
    services.service_request_assign(request=asked, staff=supervisor, assignee=supervisor, claim=True)
    stale = ServiceRequest.objects.get(pk=asked.pk)
    with pytest.raises(Conflict):
        services.service_request_assign(request=stale, staff=desk_admin, assignee=desk_admin, claim=True)
    assert ServiceRequest.objects.get().assigned_to == supervisor


def test_a_trader_cannot_be_assigned_a_request(importer, supervisor):
    from support.services import SupportError

    asked = open_request(importer)
    with pytest.raises(SupportError):
        services.service_request_assign(request=asked, staff=supervisor, assignee=importer)


# The queue ---------------------------------------------------------------------------------------


def test_queue_orders_by_due_time_marks_overdue_and_filters(client, importer, supervisor, time_machine):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    technical = open_request(importer, category=Category.TECHNICAL, subject="Tech")  # due 17:00
    access = open_request(importer, category=Category.ACCESS, subject="Access")  # due 17:00
    other = open_request(importer, category=Category.OTHER, subject="Other")  # due in 3 days
    time_machine.move_to("2026-03-02 18:00Z", tick=False)
    client.force_login(supervisor)
    page = text(client.get(reverse("support:desk")))
    assert page.index(technical.reference) < page.index(access.reference) < page.index(other.reference)
    assert page.count('class="queue__row row--overdue"') == 2
    overdue = text(client.get(reverse("support:desk"), {"overdue": "yes"}))
    assert technical.reference in overdue and other.reference not in overdue
    only_access = text(client.get(reverse("support:desk"), {"category": "access"}))
    assert access.reference in only_access and technical.reference not in only_access


def test_queue_query_count_does_not_grow_with_requests(
    client, importer, supervisor, declaration, django_assert_max_num_queries
):
    open_request(importer, trader_account=declaration.trader_account, declaration=declaration)
    client.force_login(supervisor)
    url = reverse("support:desk")
    client.get(url)
    for n in range(15):
        asked = open_request(
            importer, trader_account=declaration.trader_account, declaration=declaration, subject=f"S{n}"
        )
        services.service_request_assign(request=asked, staff=supervisor, assignee=supervisor)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200


def test_my_requests_query_count_is_pinned(client, importer, importer_account, django_assert_max_num_queries):
    for n in range(15):
        open_request(importer, trader_account=importer_account, subject=f"S{n}")
    client.force_login(importer)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("support:mine"))
    assert text(response).count("SR-") >= 15


def test_declaration_page_offers_ask_about_this_declaration(client, importer, declaration):
    client.force_login(importer)
    page = text(client.get(reverse("declarations:detail", args=[declaration.mrn])))
    assert "Ask about this declaration" in page
    assert f"?declaration={declaration.mrn}" in page


def test_declaration_panel_costs_at_most_two_queries(rf, importer, released, django_assert_max_num_queries):
    from declarations.selectors import declaration_with_details
    from support.panels import declaration_panel

    loaded = declaration_with_details(released, user=importer)
    request = rf.get("/")
    request.user = User.objects.get(pk=importer.pk)
    request.user.role  # noqa: B018  (read once per request by the page frame already)
    with django_assert_max_num_queries(2):
        html = declaration_panel(request, loaded)
    assert "How satisfied are you" in html


def test_help_desk_assigns_to_a_colleague_and_closes(client, importer, supervisor, desk_admin):
    asked = open_request(importer)
    client.force_login(supervisor)
    response = client.post(
        reverse("support:desk_assign", args=[asked.reference]), {"assignee": desk_admin.pk}
    )
    assert response.status_code == 302
    assert client.post(reverse("support:desk_close", args=[asked.reference])).status_code == 302
    asked.refresh_from_db()
    assert (asked.assigned_to, asked.status) == (desk_admin, RequestStatus.CLOSED)
    actions = set(AuditEvent.objects.filter(object_id=asked.pk).values_list("action", flat=True))
    assert {"support.service_request.assigned", "support.service_request.closed"} <= actions


def test_assigning_to_a_trader_through_the_page_is_refused(client, importer, supervisor):
    asked = open_request(importer)
    client.force_login(supervisor)
    response = client.post(reverse("support:desk_assign", args=[asked.reference]), {"assignee": importer.pk})
    assert response.status_code == 400
    assert 'href="#id_assignee"' in text(response)
    asked.refresh_from_db()
    assert asked.assigned_to is None


def test_an_unknown_filter_value_is_shown_in_the_error_summary(client, supervisor):
    client.force_login(supervisor)
    response = client.get(reverse("support:desk"), {"status": "lost"})
    assert response.status_code == 200
    assert 'href="#id_status"' in text(response)


def test_a_user_without_a_trader_account_asks_about_access(client):
    officer = UserFactory(username="officer_z", role="officer")
    client.force_login(officer)
    form = text(client.get(reverse("support:new")))
    assert 'name="trader_account"' not in form
    response = client.post(
        reverse("support:new"), {"category": "access", "subject": "Code lost", "body": "New phone"}
    )
    assert response.status_code == 302
    asked = ServiceRequest.objects.get()
    assert asked.trader_account is None
    assert client.get(reverse("support:detail", args=[asked.reference])).status_code == 200


def test_a_revoked_representative_is_not_told_the_answer(
    broker, importer_account, supervisor, django_capture_on_commit_callbacks
):
    from accounts.access import account_revoke_representative

    asked = open_request(broker, trader_account=importer_account)
    account_revoke_representative(account=importer_account, user=broker)
    with django_capture_on_commit_callbacks(execute=True):
        services.service_request_answer(request=asked, staff=supervisor, body="Confidential answer")
    assert not Notification.objects.filter(user=broker).exists()
    assert mail.outbox == []
