"""The one satisfaction question after release: offered to the trader once, never to officers."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from declarations.models import Declaration
from singlewindow.models import AuditEvent
from support.models import SatisfactionRating
from tests.factories import UserFactory

QUESTION = "How satisfied are you with how this declaration was handled?"


def text(response: Any) -> str:
    return response.content.decode()


@pytest.mark.django_db
def test_released_declaration_offers_the_question_and_thanks_after_rating(client, importer, released):
    client.force_login(importer)
    detail = reverse("declarations:detail", args=[released.mrn])
    page = text(client.get(detail))
    assert QUESTION in page and 'name="score"' in page
    response = client.post(reverse("support:rate", args=[released.mrn]), {"score": "4", "comment": "Quick"})
    assert response.status_code == 302 and response["Location"] == detail + "#satisfaction"
    rating = SatisfactionRating.objects.get()
    assert (rating.declaration, rating.user, rating.score, rating.comment) == (released, importer, 4, "Quick")
    assert AuditEvent.objects.filter(action="support.satisfaction.rated").count() == 1
    after = text(client.get(detail))
    assert 'name="score"' not in after and "4 out of 5" in after


@pytest.mark.django_db
def test_a_second_rating_is_refused_gracefully_and_the_first_stays(
    client, importer, importer_account, released
):
    from accounts.access import account_add_member

    colleague = UserFactory(username="colleague", role="trader")
    account_add_member(account=importer_account, user=colleague)
    client.force_login(importer)
    client.post(reverse("support:rate", args=[released.mrn]), {"score": "5"})
    client.force_login(colleague)
    response = client.post(reverse("support:rate", args=[released.mrn]), {"score": "1"}, follow=True)
    assert response.status_code == 200
    assert "already been rated" in text(response)
    assert list(SatisfactionRating.objects.values_list("score", flat=True)) == [5]


@pytest.mark.django_db
def test_no_score_comes_back_with_the_error_summary(client, importer, released):
    client.force_login(importer)
    response = client.post(reverse("support:rate", args=[released.mrn]), {"comment": "hm"})
    assert response.status_code == 400
    assert 'href="#id_score_0"' in text(response)
    assert not SatisfactionRating.objects.exists()


@pytest.mark.django_db
def test_not_offered_before_release(client, importer, declaration):
    client.force_login(importer)
    assert QUESTION not in text(client.get(reverse("declarations:detail", args=[declaration.mrn])))
    assert client.post(reverse("support:rate", args=[declaration.mrn]), {"score": "5"}).status_code == 404
    assert not SatisfactionRating.objects.exists()


@pytest.mark.django_db
def test_never_offered_to_supervisors_or_officers(client, supervisor, released):
    officer = UserFactory(username="officer_y", role="officer")
    client.force_login(supervisor)
    assert QUESTION not in text(client.get(reverse("declarations:detail", args=[released.mrn])))
    assert client.post(reverse("support:rate", args=[released.mrn]), {"score": "5"}).status_code == 404
    client.force_login(officer)
    assert client.post(reverse("support:rate", args=[released.mrn]), {"score": "5"}).status_code == 404
    assert not SatisfactionRating.objects.exists()


@pytest.mark.django_db
def test_outsider_cannot_rate_another_traders_declaration(client, outsider, released):
    client.force_login(outsider)
    assert client.post(reverse("support:rate", args=[released.mrn]), {"score": "1"}).status_code == 404
    assert not SatisfactionRating.objects.exists()


@pytest.mark.fullstack
@pytest.mark.django_db(transaction=True)
def test_two_ratings_at_once_store_one_and_refuse_the_other(importer, broker, released: Declaration):
    from singlewindow.errors import Conflict
    from support.services import satisfaction_rate
    from tests.concurrency import run_together

    results, failures = run_together(
        [
            lambda: satisfaction_rate(declaration=released, user=importer, score=5),
            lambda: satisfaction_rate(declaration=released, user=broker, score=2),
        ]
    )
    assert len(results) == 1
    assert len(failures) == 1 and isinstance(failures[0], Conflict) and failures[0].code == "already_rated"
    assert SatisfactionRating.objects.count() == 1
