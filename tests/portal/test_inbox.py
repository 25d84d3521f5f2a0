"""The notification inbox (/inbox/), its unread count in the header and "mark all as read"."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from clearance.models import Notification, NotificationKind

from ..agencies.test_views import lodge_flowers_and_shavers, page, review_of

pytestmark = pytest.mark.django_db


def notify(user, n=1, *, kind=NotificationKind.RELEASED, declaration=None, read=False):
    return [
        Notification.objects.create(
            user=user,
            kind=kind,
            declaration=declaration,
            message=f"Message {i} for {user.username}",
            read_at=timezone.now() if read else None,
        )
        for i in range(n)
    ]


def test_inbox_needs_sign_in(client):
    response = client.get(reverse("inbox"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_inbox_lists_only_the_users_own_notifications(client, importer, outsider):
    notify(importer, 2)
    notify(outsider, 1)
    client.force_login(importer)

    text = page(client.get(reverse("inbox")))

    assert "Message 0 for importer" in text and "Message 1 for importer" in text
    assert "outsider" not in text


def test_unread_are_highlighted_in_words_then_marked_read_by_the_view(client, importer):
    (old,) = notify(importer, read=True)
    (new,) = notify(importer)
    client.force_login(importer)

    text = page(client.get(reverse("inbox")))

    assert text.count("inbox__item--unread") == 1
    assert '<strong class="flag flag--new">New</strong>' in text
    new.refresh_from_db()
    assert new.read_at is not None
    assert "flag--new" not in page(client.get(reverse("inbox")))


def test_inbox_pages_by_25_and_marks_only_the_page_shown(client, importer):
    notify(importer, 30)
    client.force_login(importer)

    text = page(client.get(reverse("inbox")))

    assert text.count('class="inbox__item') == 25
    assert "Page 1 of 2" in text
    assert Notification.objects.filter(user=importer, read_at__isnull=True).count() == 5
    assert "5 messages on other pages are still unread." in text
    assert "Mark all as read" in text


def test_mark_all_as_read_marks_what_the_page_showed_not_what_came_after(client, importer):
    notify(importer, 30)
    client.force_login(importer)
    text = page(client.get(reverse("inbox")))
    newest = int(text.split('name="upto" value="')[1].split('"')[0])
    (later,) = notify(importer)

    response = client.post(reverse("inbox_read"), {"upto": newest})

    assert response.status_code == 302 and response["Location"] == reverse("inbox")
    unread = Notification.objects.filter(user=importer, read_at__isnull=True)
    assert list(unread) == [later]


def test_mark_all_as_read_touches_only_the_users_own(client, importer, outsider):
    notify(importer, 2)
    (theirs,) = notify(outsider)
    client.force_login(importer)

    client.post(reverse("inbox_read"))

    assert not Notification.objects.filter(user=importer, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_as_read_refuses_get_and_needs_csrf(importer):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(importer)
    notify(importer)
    assert strict.get(reverse("inbox_read")).status_code == 405
    assert strict.post(reverse("inbox_read")).status_code == 403
    assert Notification.objects.filter(user=importer, read_at__isnull=True).count() == 1


def test_header_badge_counts_unread_on_every_page(client, importer):
    notify(importer, 3)
    client.force_login(importer)

    text = page(client.get(reverse("declarations:list")))

    assert 'href="/inbox/"' in text
    assert '<span class="badge">3<span class="visually-hidden"> unread</span></span>' in text


def test_header_badge_stops_counting_at_99(client, importer):
    notify(importer, 101)
    client.force_login(importer)

    assert '<span class="badge">99+' in page(client.get(reverse("declarations:list")))


def test_portal_identity_adds_one_query_for_the_badge_and_only_reads(importer, django_assert_num_queries):
    notify(importer, 2)
    request = RequestFactory().get("/")
    request.user = importer
    template = Template(
        "{% load portal %}{% portal_identity as me %}{{ me.unread }}{% portal_identity as again %}"
    )

    with django_assert_num_queries(3):  # the accounts (2, as before) and the unread count
        assert template.render(Context({"user": importer, "request": request})) == "2"
    assert Notification.objects.filter(user=importer, read_at__isnull=True).count() == 2


def test_inbox_query_count_does_not_grow_with_notifications(
    client, importer, agencies, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    client.force_login(importer)
    declaration = lodge_flowers_and_shavers(importer, django_capture_on_commit_callbacks)
    notify(importer, 3, declaration=declaration)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("inbox"))
    notify(importer, 20, declaration=declaration)
    with django_assert_max_num_queries(len(few.captured_queries)):
        text = page(client.get(reverse("inbox")))
    assert f'href="/declarations/{declaration.mrn}/"' in text


def test_officer_gets_overdue_notice_linking_to_its_agencys_review(
    client, importer, plant_officer, agencies, django_capture_on_commit_callbacks
):
    declaration = lodge_flowers_and_shavers(importer, django_capture_on_commit_callbacks)
    notify(plant_officer, kind=NotificationKind.OVERDUE, declaration=declaration)
    client.force_login(plant_officer)

    text = page(client.get(reverse("inbox")))

    review = review_of(declaration, "plant-health")
    assert "Review overdue" in text
    assert f'href="{reverse("agencies:review", args=[review.pk])}"' in text


def test_supervisor_notice_links_to_customs_page_of_the_declaration(
    client, importer, supervisor, agencies, django_capture_on_commit_callbacks
):
    declaration = lodge_flowers_and_shavers(importer, django_capture_on_commit_callbacks)
    notify(supervisor, kind=NotificationKind.OVERDUE, declaration=declaration)
    client.force_login(supervisor)

    text = page(client.get(reverse("inbox")))

    assert f'href="{reverse("clearance:declaration", args=[declaration.mrn])}"' in text


def test_home_links_its_new_messages_to_the_inbox(client, importer):
    notify(importer)
    client.force_login(importer)

    assert 'href="/inbox/">All your messages</a>' in page(client.get(reverse("home")))
