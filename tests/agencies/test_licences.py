"""Licences on file decide an agency's review: each reason a licence fails, the balance rule, restores.

The importer (GB553202734852) lodges JSON through the API; items of chapter 26 go to the import
licensing office (``licensing``), whose licences are registered through the service.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from agencies.licences import LicenceError, licence_revoke, licences_apply, licences_restore
from agencies.models import Licence, LicenceUsage, ReviewStatus, UsageKind
from agencies.routing import routing_plan
from clearance import services as clearance
from declarations.amendments import declaration_cancel
from declarations.models import Channel, Declaration, Status
from singlewindow.errors import Conflict
from singlewindow.models import AuditEvent
from tests.conftest import IMPORTER_EORI

from .fixtures import client_for, item, lodge, payload_with, review_of
from .licence_fixtures import licence_for

pytestmark = pytest.mark.django_db

ORE = "26121010"  # uranium ores: the licensing office's rule (chapter 26)
OTHER_ORE = "26011100"  # iron ores: chapter 26 too, outside a 2612 licence


def licence_doc(number: str = "GBOIL000002-0001", code: str = "9100", **write_off: str) -> dict[str, Any]:
    return {"code": code, "reference": number, "status": "AC", **write_off}


def ore_item(sequence: int = 1, code: str = ORE, **write_off: str) -> dict[str, Any]:
    number = write_off.pop("number", "GBOIL000002-0001")
    return item(sequence, code, documents=[licence_doc(number, **write_off)])


def oil_licence(licensing, **changes: Any) -> Licence:
    values: dict[str, Any] = {
        "code": "9100",
        "number": "GBOIL000002-0001",
        "holder": IMPORTER_EORI,
        "hs": ["2612"],
        "quantity": "500",
    }
    values.update(changes)
    return licence_for(licensing, **values)


def licensing_review(importer, capture, *items: dict[str, Any], lrn: str = "LIC-1") -> Any:
    declaration = lodge(importer, payload_with(*items, lrn=lrn), capture)
    return review_of(declaration, "import-licensing")


def test_a_valid_licence_approves_the_review_and_writes_off_the_quantity(
    importer, licensing, django_capture_on_commit_callbacks
):
    licence = oil_licence(licensing)
    review = licensing_review(
        importer,
        django_capture_on_commit_callbacks,
        ore_item(write_off_quantity="120", write_off_unit="KGM#G"),
    )
    assert review.status == ReviewStatus.AUTO_APPROVED
    assert review.decision_reason == "Covered by licence on file: GBOIL000002-0001."
    licence.refresh_from_db()
    assert licence.quantity_balance == Decimal(380)
    assert review.licence_findings[0]["message"] == (
        "Licence GBOIL000002-0001 covers this item: 120 kg written off, 380 kg left."
    )


def test_without_a_write_off_the_items_net_mass_is_written_off(
    importer, licensing, django_capture_on_commit_callbacks
):
    licence = oil_licence(licensing)
    review = licensing_review(importer, django_capture_on_commit_callbacks, ore_item())
    assert review.status == ReviewStatus.AUTO_APPROVED
    licence.refresh_from_db()
    assert licence.quantity_balance == Decimal(400)  # the payload's item has a net mass of 100 kg


@pytest.mark.parametrize(
    ("changes", "reason", "message"),
    [
        (
            {"quantity": "50"},
            "exhausted",
            "Licence GBOIL000002-0001 has 50 kg left; this item writes off 100 kg.",
        ),
        (
            {"valid_from": datetime.date(2020, 1, 1), "valid_until": datetime.date(2021, 6, 30)},
            "expired",
            "Licence GBOIL000002-0001 expired on 2021-06-30.",
        ),
        (
            {"valid_from": datetime.date(2090, 1, 1), "valid_until": datetime.date(2091, 1, 1)},
            "not_yet_valid",
            "Licence GBOIL000002-0001 is valid from 2090-01-01.",
        ),
        (
            {"hs": ["2601"]},
            "wrong_scope",
            f"Licence GBOIL000002-0001 does not cover commodity {ORE}.",
        ),
        (
            {"holder": "GB123123123123"},
            "other_holder",
            "Licence GBOIL000002-0001 is held by another trader.",
        ),
        (
            {"number": "GBOIL000099-0001"},
            "not_on_file",
            "No such licence on file: Import Licensing Office has no licence GBOIL000002-0001 "
            "(document code 9100).",
        ),
        (
            {"quantity": None, "value": "100"},
            "exhausted",
            "Licence GBOIL000002-0001 has 100.00 GBP left; this item writes off 1000.00 GBP.",
        ),
    ],
    ids=["exhausted", "expired", "not-yet-valid", "wrong-scope", "other-holder", "not-on-file", "value"],
)
def test_a_licence_that_does_not_cover_the_item_sends_the_review_to_an_officer_saying_why(
    importer, licensing, django_capture_on_commit_callbacks, changes, reason, message
):
    licence = oil_licence(licensing, **changes)
    review = licensing_review(importer, django_capture_on_commit_callbacks, ore_item())
    assert review.status == ReviewStatus.PENDING
    (finding,) = review.licence_findings
    assert (finding["item"], finding["covered"], finding["reason"]) == (1, False, reason)
    assert finding["message"] == message
    licence.refresh_from_db()
    assert licence.quantity_balance == licence.quantity_allowance  # nothing written off
    assert licence.value_balance == licence.value_allowance


def test_a_revoked_licence_sends_the_review_to_an_officer(
    importer, licensing, licensing_officer, django_capture_on_commit_callbacks
):
    licence = oil_licence(licensing)
    licence_revoke(licence=licence, actor=licensing_officer, reason="Export ban")
    review = licensing_review(importer, django_capture_on_commit_callbacks, ore_item())
    assert review.status == ReviewStatus.PENDING
    assert review.licence_findings[0]["reason"] == "revoked"


def test_revoking_twice_is_a_conflict_and_needs_a_reason(licensing, licensing_officer):
    licence = oil_licence(licensing)
    with pytest.raises(LicenceError) as missing:
        licence_revoke(licence=licence, actor=licensing_officer, reason="  ")
    assert missing.value.code == "reason_required"
    licence_revoke(licence=licence, actor=licensing_officer, reason="Export ban")
    with pytest.raises(Conflict) as raised:
        licence_revoke(licence=licence, actor=licensing_officer, reason="Again")
    assert raised.value.code == "licence_revoked"
    assert list(licence.usages.values_list("kind", flat=True)) == [UsageKind.ISSUE, UsageKind.REVOKE]


def test_one_item_covered_and_one_not_sends_the_review_to_an_officer_and_writes_off_the_covered_one(
    importer, licensing, django_capture_on_commit_callbacks
):
    licence = oil_licence(licensing)
    review = licensing_review(
        importer,
        django_capture_on_commit_callbacks,
        ore_item(1, write_off_quantity="10", write_off_unit="KGM"),
        ore_item(2, OTHER_ORE, write_off_quantity="10", write_off_unit="KGM"),
    )
    assert review.status == ReviewStatus.PENDING
    assert [(f["item"], f["reason"]) for f in review.licence_findings] == [(1, "covered"), (2, "wrong_scope")]
    licence.refresh_from_db()
    assert licence.quantity_balance == Decimal(490)


def test_two_items_on_one_licence_are_written_off_in_turn_and_the_second_finds_too_little(
    importer, licensing, django_capture_on_commit_callbacks
):
    licence = oil_licence(licensing, quantity="150")
    review = licensing_review(
        importer,
        django_capture_on_commit_callbacks,
        ore_item(1, write_off_quantity="100", write_off_unit="KGM"),
        ore_item(2, write_off_quantity="100", write_off_unit="KGM"),
    )
    assert review.status == ReviewStatus.PENDING
    assert review.licence_findings[1]["message"] == (
        "Licence GBOIL000002-0001 has 50 kg left; this item writes off 100 kg."
    )
    licence.refresh_from_db()
    assert licence.quantity_balance == Decimal(50)


def test_an_item_declaring_no_licence_of_the_agency_stays_with_the_officer_as_before(
    importer, licensing, django_capture_on_commit_callbacks
):
    oil_licence(licensing)
    review = licensing_review(importer, django_capture_on_commit_callbacks, item(1, ORE))
    assert review.status == ReviewStatus.PENDING
    assert review.licence_findings == []
    assert review.missing_documents == [{"item": 1, "code": "9100", "rule": review.reasons[0]["rule"]}]


def test_routing_twice_writes_off_once(importer, licensing, django_capture_on_commit_callbacks):
    licence = oil_licence(licensing)
    review = licensing_review(importer, django_capture_on_commit_callbacks, ore_item())
    declaration = review.declaration
    assert clearance.declaration_route(declaration_id=declaration.pk) is None  # already routed
    # Even past the state check, the unique decrement refuses a second write-off of the same item.
    routes = routing_plan(declaration)
    with pytest.raises(IntegrityError), transaction.atomic():
        licences_apply(declaration=declaration, routes=routes, documents=list(declaration.documents.all()))
    licence.refresh_from_db()
    assert licence.quantity_balance == Decimal(400)
    assert licence.usages.filter(kind=UsageKind.DECREMENT).count() == 1


def test_cancelling_the_declaration_gives_back_what_it_wrote_off_once(
    importer, licensing, django_capture_on_commit_callbacks
):
    licence = oil_licence(licensing)
    review = licensing_review(importer, django_capture_on_commit_callbacks, ore_item(), item(2, "09021000"))
    declaration = Declaration.objects.get(pk=review.declaration_id)
    with django_capture_on_commit_callbacks(execute=True):
        declaration_cancel(
            user=importer, declaration=declaration, reason="Wrong goods", channel=Channel.WEB_FORM
        )
    assert Declaration.objects.get(pk=declaration.pk).status == Status.CANCELLED
    licence.refresh_from_db()
    assert licence.quantity_balance == Decimal(500)
    restore = licence.usages.get(kind=UsageKind.RESTORE)
    assert restore.reverses.kind == UsageKind.DECREMENT
    assert restore.quantity == Decimal(100) and restore.quantity_balance == Decimal(500)
    clearance.declaration_reviews_withdraw(declaration_id=declaration.pk)  # run again: nothing more
    licence.refresh_from_db()
    assert licence.quantity_balance == Decimal(500)
    assert licence.usages.filter(kind=UsageKind.RESTORE).count() == 1


def test_a_refusal_gives_back_what_the_declaration_wrote_off(
    importer, licensing, supervisor, django_capture_on_commit_callbacks
):
    licence = oil_licence(licensing)
    review = licensing_review(importer, django_capture_on_commit_callbacks, ore_item(), item(2, "09021000"))
    with django_capture_on_commit_callbacks(execute=True):
        clearance.release_override(
            declaration=Declaration.objects.get(pk=review.declaration_id),
            supervisor=supervisor,
            outcome="refused",
            reason="Smuggling suspected",
        )
    licence.refresh_from_db()
    assert licence.quantity_balance == Decimal(500)


def refuse_then_release(supervisor, declaration: Declaration, capture) -> None:
    with capture(execute=True):
        clearance.release_override(
            declaration=declaration, supervisor=supervisor, outcome="refused", reason="Smuggling suspected"
        )
    with capture(execute=True):
        clearance.release_override(
            declaration=Declaration.objects.get(pk=declaration.pk),
            supervisor=supervisor,
            outcome="released",
            reason="Suspicion cleared on appeal",
        )


def test_a_refused_declaration_released_after_all_writes_its_licence_off_again(
    importer, licensing, supervisor, django_capture_on_commit_callbacks
):
    licence = oil_licence(licensing)
    review = licensing_review(importer, django_capture_on_commit_callbacks, ore_item(), item(2, "09021000"))
    declaration = Declaration.objects.get(pk=review.declaration_id)

    refuse_then_release(supervisor, declaration, django_capture_on_commit_callbacks)

    assert Declaration.objects.get(pk=declaration.pk).status == Status.RELEASED
    licence.refresh_from_db()
    assert licence.quantity_balance == Decimal(400)
    again = licence.usages.get(kind=UsageKind.REINSTATE)
    assert again.reverses.kind == UsageKind.RESTORE and again.reverses.reverses.kind == UsageKind.DECREMENT
    assert again.quantity == Decimal(100) and again.item == 1
    assert again.reason == "Suspicion cleared on appeal"
    # Given back once more if the release is undone later (the reinstatement is a write-off).
    assert licences_restore(declaration=declaration, reason="invalidated") == 1
    licence.refresh_from_db()
    assert licence.quantity_balance == Decimal(500)


def test_a_licence_used_up_meanwhile_is_not_overdrawn_by_the_late_release_and_the_shortfall_is_recorded(
    importer, licensing, supervisor, django_capture_on_commit_callbacks
):
    licence = oil_licence(licensing, quantity="150")
    review = licensing_review(importer, django_capture_on_commit_callbacks, ore_item(), item(2, "09021000"))
    declaration = Declaration.objects.get(pk=review.declaration_id)
    with django_capture_on_commit_callbacks(execute=True):
        clearance.release_override(
            declaration=declaration, supervisor=supervisor, outcome="refused", reason="Smuggling suspected"
        )
    # Another declaration takes what the refusal gave back.
    other = licensing_review(
        importer,
        django_capture_on_commit_callbacks,
        ore_item(write_off_quantity="120", write_off_unit="KGM#G"),
        lrn="LIC-2",
    )
    assert other.status == ReviewStatus.AUTO_APPROVED
    with django_capture_on_commit_callbacks(execute=True):
        clearance.release_override(
            declaration=Declaration.objects.get(pk=declaration.pk),
            supervisor=supervisor,
            outcome="released",
            reason="Suspicion cleared on appeal",
        )

    assert Declaration.objects.get(pk=declaration.pk).status == Status.RELEASED
    licence.refresh_from_db()
    assert licence.quantity_balance == Decimal(30)
    assert not licence.usages.filter(kind=UsageKind.REINSTATE).exists()
    event = AuditEvent.objects.get(action="clearance.release.licence_shortfall", object_id=declaration.pk)
    assert event.data["shortfalls"] == [
        {"licence": "GBOIL000002-0001", "item": 1, "wanted": "100 kg", "left": "30 kg"}
    ]


def test_an_amendment_of_the_item_gives_back_the_old_write_off_and_takes_the_new_one(
    importer, licensing, django_capture_on_commit_callbacks
):
    licence = oil_licence(licensing)
    first = ore_item(write_off_quantity="100", write_off_unit="KGM")
    review = licensing_review(importer, django_capture_on_commit_callbacks, first, item(2, "09021000"))
    declaration = Declaration.objects.get(pk=review.declaration_id)
    payload = payload_with(
        ore_item(write_off_quantity="30", write_off_unit="KGM"), item(2, "09021000"), lrn="LIC-1"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(importer).post(
            f"/api/v1/declarations/{declaration.mrn}/amendments",
            {"declaration": payload, "reason": "Quantity corrected"},
            format="json",
        )
    assert response.status_code == 201, response.json()
    licence.refresh_from_db()
    assert licence.quantity_balance == Decimal(470)
    kinds = list(licence.usages.order_by("pk").values_list("kind", "quantity"))
    assert kinds == [
        (UsageKind.ISSUE, Decimal(500)),
        (UsageKind.DECREMENT, Decimal(100)),
        (UsageKind.RESTORE, Decimal(100)),
        (UsageKind.DECREMENT, Decimal(30)),
    ]
    assert review_of(declaration, "import-licensing").status == ReviewStatus.AUTO_APPROVED


def test_the_balance_cannot_go_below_zero_whatever_writes_it(licensing):
    licence = oil_licence(licensing)
    with pytest.raises(IntegrityError), transaction.atomic():
        Licence.objects.filter(pk=licence.pk).update(quantity_balance=Decimal(-1))


def test_usage_rows_record_the_declaration_and_item(importer, licensing, django_capture_on_commit_callbacks):
    licence = oil_licence(licensing)
    review = licensing_review(importer, django_capture_on_commit_callbacks, ore_item())
    usage = LicenceUsage.objects.get(licence=licence, kind=UsageKind.DECREMENT)
    assert (usage.declaration_id, usage.version, usage.item) == (review.declaration_id, 1, 1)
    assert (usage.quantity, usage.quantity_balance) == (Decimal(100), Decimal(400))


def test_the_goods_item_field_is_named_in_french_too():
    # "goods item" is also a plural message elsewhere (the review's routing reasons, with a
    # context): the field's singular name must still find its translation.
    with translation.override("fr"):
        assert str(LicenceUsage._meta.get_field("item").verbose_name) == "article"
