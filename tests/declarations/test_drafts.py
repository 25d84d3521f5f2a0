"""Drafts the trader manages: delete one, copy a declaration or a draft into a new one, remove an
item from the page, and keep the page's edits when a submit fails."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from declarations import services
from declarations.forms.numbers import parse_number
from declarations.models import Declaration, Status
from singlewindow.models import AuditEvent

from ..conftest import IMPORTER_EORI
from .test_views import form_post, item_row, lodge

pytestmark = pytest.mark.django_db


def draft_of(user, lrn: str = "DRAFT-1", **payload) -> Declaration:
    return services.declaration_save_draft(user=user, payload={"lrn": lrn, "items": [], **payload})


# --- delete a draft -----------------------------------------------------------------------------


def test_owner_deletes_a_draft_after_confirming(client, importer):
    draft = draft_of(importer)
    client.force_login(importer)
    url = reverse("declarations:draft_delete", args=[draft.pk])

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Delete this draft?" in confirm.content.decode()
    assert Declaration.objects.filter(pk=draft.pk).exists()

    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("declarations:list")
    assert "Draft deleted." in response.content.decode()
    assert not Declaration.objects.filter(pk=draft.pk).exists()
    event = AuditEvent.objects.get(action="declarations.declaration.draft_deleted")
    assert (event.actor, event.object_id, event.data["lrn"]) == (importer, draft.pk, "DRAFT-1")


def test_someone_else_cannot_delete_a_draft(client, importer, exporter):
    draft = draft_of(importer)
    client.force_login(exporter)
    url = reverse("declarations:draft_delete", args=[draft.pk])

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert Declaration.objects.filter(pk=draft.pk).exists()


def test_a_lodged_declaration_cannot_be_deleted(client, importer):
    declaration = lodge(importer, "LRN-LODGED")
    client.force_login(importer)

    assert client.post(reverse("declarations:draft_delete", args=[declaration.pk])).status_code == 404
    assert Declaration.objects.filter(pk=declaration.pk, status=Status.ACCEPTED).exists()


def test_a_draft_submitted_meanwhile_is_not_deleted(importer):
    """The delete is a compare-and-set on the status: a draft lodged in another tab stays."""
    draft = draft_of(importer)
    Declaration.objects.filter(pk=draft.pk).update(status=Status.ACCEPTED, mrn="26GB0000000000000X")

    with pytest.raises(services.Conflict):
        services.declaration_draft_delete(user=importer, draft=draft)
    assert Declaration.objects.filter(pk=draft.pk).exists()


# --- copy into a new draft ----------------------------------------------------------------------


def test_a_lodged_declaration_is_copied_into_a_new_draft_without_its_lrn(client, importer):
    declaration = lodge(importer, "LRN-ORIGINAL", items=2)
    client.force_login(importer)

    response = client.post(reverse("declarations:copy", args=[declaration.mrn]), follow=True)

    draft = Declaration.objects.get(status=Status.DRAFT)
    assert response.redirect_chain[-1][0] == reverse("declarations:draft", args=[draft.pk])
    assert draft.lodged_by == importer and draft.lrn == ""
    form, items = response.context["form"], response.context["formset"].forms
    assert form.initial["lrn"] == ""
    assert form.initial["declarant_eori"] == IMPORTER_EORI
    assert parse_number(form.initial["invoice_amount"]) == Decimal("1500")
    assert form.initial["transport_id"] == "12345"
    assert len(items) == 2
    assert items[0].initial["commodity_code"] == "8510200000"
    assert items[0].initial["doc_1_code"] == "N935"
    assert items[0].initial["additional_procedure_code"] == "000"
    event = AuditEvent.objects.get(action="declarations.declaration.copied")
    assert event.object_id == draft.pk and event.data == {"from": {"mrn": declaration.mrn}}
    # The original is untouched.
    assert Declaration.objects.get(pk=declaration.pk).lrn == "LRN-ORIGINAL"


def test_the_copy_lodges_once_given_a_new_lrn(client, importer):
    declaration = lodge(importer, "LRN-ORIGINAL")
    client.force_login(importer)
    client.post(reverse("declarations:copy", args=[declaration.mrn]))
    draft = Declaration.objects.get(status=Status.DRAFT)
    page = client.get(reverse("declarations:draft", args=[draft.pk]))
    data = {name: form_value(page.context["form"], name) for name in page.context["form"].fields}
    item = page.context["formset"].forms[0]
    data.update({f"items-0-{name}": form_value(item, name) for name in item.fields})
    data.update({"lrn": "LRN-COPY", "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0", "action": "submit"})

    response = client.post(reverse("declarations:draft", args=[draft.pk]), data)

    assert response.status_code == 302, response.context["errors"]
    copy = Declaration.objects.get(lrn="LRN-COPY")
    assert copy.pk == draft.pk and copy.status == Status.ACCEPTED
    assert copy.invoice_amount == Decimal("1500")


def form_value(form, name: str) -> str:
    value = form[name].value()
    return "" if value is None else str(value)


def test_copy_numbers_are_written_in_the_page_language(client, importer):
    declaration = lodge(importer, "LRN-FR")
    client.force_login(importer)
    with translation.override("fr"):
        client.post(reverse("declarations:copy", args=[declaration.mrn]), HTTP_ACCEPT_LANGUAGE="fr")
    draft = Declaration.objects.get(status=Status.DRAFT)
    assert draft.draft_payload["_language"] == "fr"
    assert parse_number(draft.draft_payload["invoice_amount"], "fr") == Decimal("1500")
    # Resumed in English, the amount is rewritten, not misread.
    page = client.get(reverse("declarations:draft", args=[draft.pk]))
    assert parse_number(page.context["form"].initial["invoice_amount"], "en") == Decimal("1500")


def test_someone_who_cannot_see_a_declaration_cannot_copy_it(client, importer, outsider):
    declaration = lodge(importer, "LRN-PRIVATE")
    client.force_login(outsider)

    assert client.post(reverse("declarations:copy", args=[declaration.mrn])).status_code == 404
    assert not Declaration.objects.filter(status=Status.DRAFT).exists()


def test_a_supervisor_who_sees_everything_still_cannot_copy(client, importer, supervisor):
    declaration = lodge(importer, "LRN-SEEN")
    client.force_login(supervisor)

    assert client.post(reverse("declarations:copy", args=[declaration.mrn])).status_code == 404
    assert not Declaration.objects.filter(status=Status.DRAFT).exists()


def test_copy_is_post_only(client, importer):
    declaration = lodge(importer, "LRN-GET")
    client.force_login(importer)
    assert client.get(reverse("declarations:copy", args=[declaration.mrn])).status_code == 405


def test_a_draft_is_copied_for_its_owner_only(client, importer, exporter):
    draft = draft_of(importer, "DRAFT-SRC", invoice_currency="GBP")
    client.force_login(exporter)
    assert client.post(reverse("declarations:draft_copy", args=[draft.pk])).status_code == 404

    client.force_login(importer)
    client.post(reverse("declarations:draft_copy", args=[draft.pk]))
    copy = Declaration.objects.exclude(pk=draft.pk).get(status=Status.DRAFT)
    assert copy.lodged_by == importer
    assert copy.draft_payload["invoice_currency"] == "GBP" and copy.draft_payload["lrn"] == ""


# --- remove an item, keep edits -----------------------------------------------------------------


def test_remove_item_shows_the_page_without_it_and_stores_nothing(client, importer):
    client.force_login(importer)
    data = form_post(
        items=[item_row(description="First"), item_row(description="Second"), item_row(description="Third")],
        action="remove_item:items-1",
    )

    response = client.post(reverse("declarations:new"), data)

    assert response.status_code == 200
    items = response.context["formset"].forms
    assert [item.initial["description"] for item in items] == ["First", "Third"]
    assert "Goods item 2 removed." in response.content.decode()
    assert not Declaration.objects.exists()


def test_removing_the_only_item_leaves_an_empty_one(client, importer):
    client.force_login(importer)
    response = client.post(reverse("declarations:new"), form_post(action="remove_item:items-0"))
    items = response.context["formset"].forms
    assert len(items) == 1 and not any(items[0].initial.values())


def test_a_crafted_remove_of_an_item_that_is_not_there_removes_nothing(client, importer):
    client.force_login(importer)
    response = client.post(reverse("declarations:new"), form_post(action="remove_item:items-999"))
    assert [item.initial["description"] for item in response.context["formset"].forms] == [
        item_row()["description"]
    ]


def test_a_failed_submit_of_a_draft_keeps_the_edits_in_the_draft(client, importer):
    draft = draft_of(importer, "DRAFT-EDIT")
    client.force_login(importer)
    data = form_post(lrn="DRAFT-EDIT", type_code="", items=[item_row(description="Edited on the page")])

    response = client.post(reverse("declarations:draft", args=[draft.pk]), data)

    assert response.status_code == 400
    assert "Your changes are saved in the draft" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert draft.draft_payload["items"][0]["description"] == "Edited on the page"


def test_a_failed_submit_shows_every_typed_value_again(client, importer):
    client.force_login(importer)
    data = form_post(
        type_code="",
        destination_country="France",
        items=[item_row(net_mass="1.234,5", doc_1_code="N9355", doc_1_reference="INV-7")],
    )
    page = client.post(reverse("declarations:new"), data).content.decode()
    for typed in ('value="France"', 'value="1.234,5"', 'value="N9355"', 'value="INV-7"'):
        assert typed in page


# --- numbers on the declaration's page ----------------------------------------------------------


def test_the_declaration_page_shows_amounts_grouped_and_unrounded(client, importer, settings):
    declaration = lodge(importer, "LRN-NUMBERS")
    Declaration.objects.filter(pk=declaration.pk).update(invoice_amount=Decimal("1234567.125"))
    client.force_login(importer)
    url = reverse("declarations:detail", args=[declaration.mrn])

    assert "1,234,567.125 GBP" in client.get(url).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert "1\u00a0234\u00a0567,125 GBP" in client.get(url).content.decode()


def test_the_declaration_page_offers_a_copy_to_traders_only(client, importer, supervisor):
    declaration = lodge(importer, "LRN-BUTTON")
    url = reverse("declarations:detail", args=[declaration.mrn])
    copy = reverse("declarations:copy", args=[declaration.mrn])
    client.force_login(importer)
    assert copy in client.get(url).content.decode()
    client.force_login(supervisor)
    page = client.get(url)
    assert page.status_code == 200 and copy not in page.content.decode()


# --- every error in one round -------------------------------------------------------------------


def test_a_taken_lrn_is_told_with_the_other_errors(client, importer):
    lodge(importer, "LRN-TAKEN")
    client.force_login(importer)

    response = client.post(
        reverse("declarations:new"), form_post(lrn="LRN-TAKEN", items=[item_row(commodity_code="99999999")])
    )

    assert response.status_code == 400
    messages = [entry.message for entry in response.context["errors"]]
    assert any("LRN LRN-TAKEN was already used by this declarant" in m for m in messages)
    assert any("99999999" in m for m in messages)


def test_a_taken_lrn_is_told_with_format_errors_too(client, importer):
    lodge(importer, "LRN-TAKEN-2")
    client.force_login(importer)

    response = client.post(reverse("declarations:new"), form_post(lrn="LRN-TAKEN-2", type_code=""))

    assert "already used by this declarant" in " ".join(response.context["form"].errors["lrn"])


def test_nobody_learns_another_account_s_lrns(client, importer, outsider):
    lodge(importer, "LRN-SECRET")
    client.force_login(outsider)

    response = client.post(
        reverse("declarations:new"), form_post(lrn="LRN-SECRET", items=[item_row(commodity_code="99999999")])
    )

    assert "LRN-SECRET was already used" not in response.content.decode()
