"""The declaration pages through the Django test client, with the real services behind them."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from declarations import services
from declarations.canonical import (
    DeclarationData,
    DocumentData,
    DocumentKind,
    Issue,
    ItemData,
    PartyData,
    PartyRole,
)
from declarations.forms import forms_from_post, issue_target, issues_to_forms
from declarations.models import Channel, Declaration, Status
from declarations.wco.reader import read_declaration
from singlewindow.models import AuditEvent, OutboxMessage

from ..conftest import BROKER_EORI, EXPORTER_EORI, IMPORTER_EORI, SAMPLES

pytestmark = pytest.mark.django_db

SAMPLE_IMPORT = SAMPLES / "imports" / "TT_IM001a__Step1_TT_IM001a.xml"
# The accepted import sample with the most documents on one goods item (13 on its item 1).
SAMPLE_MANY_DOCUMENTS = SAMPLES / "imports" / "TT_IM030a__Step1_TT_IM030a.xml"


def declaration_data(lrn: str, *, items: int = 1, eori: str = IMPORTER_EORI) -> DeclarationData:
    return DeclarationData(
        type_code="IM",
        additional_type="A",
        lrn=lrn,
        goods_item_quantity=items,
        invoice_amount=Decimal("1500"),
        invoice_currency="GBP",
        parties=[PartyData(PartyRole.DECLARANT, eori=eori), PartyData(PartyRole.IMPORTER, eori=eori)],
        border_transport_mode="1",
        border_transport_nationality="US",
        arrival_transport_id="12345",
        arrival_transport_id_type="10",
        goods_location="WLALONBTW",
        destination_country="GB",
        export_country="US",
        items=[
            ItemData(
                sequence=n,
                description="Hair clippers with self-contained electric motor",
                commodity_code="8510200000",
                origin_country="US",
                procedure_code="4000",
                additional_procedure_codes=["000"],
                quantity=Decimal("50"),
                quantity_unit="NAR",
                net_mass=Decimal("25"),
                gross_mass=Decimal("30"),
                value_amount=Decimal("750"),
                value_currency="GBP",
                documents=[DocumentData(DocumentKind.ADDITIONAL, code="N935", reference="INV-1")],
            )
            for n in range(1, items + 1)
        ],
    )


def lodge(user: Any, lrn: str, **kwargs: Any) -> Declaration:
    return services.declaration_lodge(
        user=user, data=declaration_data(lrn, **kwargs), channel=Channel.API_JSON
    ).declaration


def form_post(
    *, lrn: str = "WEB-0001", items: list[dict[str, str]] | None = None, **header: str
) -> dict[str, str]:
    """What the browser sends for the declaration form: header, management form, item rows."""
    items = items if items is not None else [item_row()]
    data = {
        "type_code": "IM",
        "additional_type": "A",
        "lrn": lrn,
        "declarant_eori": IMPORTER_EORI,
        "trader_eori": IMPORTER_EORI,
        "trader_name": "Clippers Import Ltd",
        "trader_street": "1 Harbour Road",
        "trader_city": "Southend",
        "trader_postcode": "SS1 1AA",
        "trader_country": "GB",
        "invoice_amount": "1500",
        "invoice_currency": "GBP",
        "destination_country": "GB",
        "export_country": "US",
        "exit_office": "",
        "border_transport_mode": "1",
        "border_transport_nationality": "US",
        "transport_id": "12345",
        "transport_id_type": "10",
        "goods_location": "WLALONBTW",
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "999",
        "action": "submit",
    }
    data.update(header)
    for index, row in enumerate(items):
        data.update({f"items-{index}-{name}": value for name, value in row.items()})
    return data


def item_row(**overrides: str) -> dict[str, str]:
    row = {
        "description": "Hair clippers with self-contained electric motor",
        "commodity_code": "8510 20 00 00",
        "origin_country": "us",
        "quantity": "50",
        "quantity_unit": "NAR",
        "net_mass": "25",
        "gross_mass": "30",
        "value_amount": "750",
        "value_currency": "GBP",
        "procedure_code": "4000",
        "additional_procedure_code": "000",
        "doc_1_code": "N935",
        "doc_1_reference": "INV-2026-0042",
        "doc_2_code": "",
        "doc_2_reference": "",
        "doc_3_code": "",
        "doc_3_reference": "",
    }
    row.update(overrides)
    return row


# --- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/declarations/", "/declarations/new/", "/declarations/upload/", "/declarations/24GB0000000000000A/"],
)
def test_pages_redirect_anonymous_visitors_to_sign_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")


def test_outsider_gets_404_for_declaration(client, importer, outsider):
    declaration = lodge(importer, "LRN-OUT-1")
    client.force_login(outsider)

    response = client.get(reverse("declarations:detail", args=[declaration.mrn]))

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_unknown_mrn_gets_the_same_404(client, importer):
    client.force_login(importer)

    assert client.get(reverse("declarations:detail", args=["24GB0000000000000X"])).status_code == 404


def test_someone_elses_draft_is_404(client, importer, exporter):
    draft = services.declaration_save_draft(user=importer, payload={"lrn": "D1", "items": []})
    client.force_login(exporter)

    assert client.get(reverse("declarations:draft", args=[draft.pk])).status_code == 404


# --- list ---------------------------------------------------------------------------------------


def test_list_shows_only_declarations_the_user_may_see(client, importer, outsider):
    mine = lodge(importer, "LRN-MINE")
    client.force_login(outsider)
    outsider_page = client.get(reverse("declarations:list")).content.decode()
    client.force_login(importer)
    importer_page = client.get(reverse("declarations:list")).content.decode()

    assert mine.mrn not in outsider_page
    assert mine.mrn in importer_page
    assert "LRN-MINE" in importer_page


def test_supervisor_sees_every_declaration(client, importer, supervisor):
    declaration = lodge(importer, "LRN-SUP")
    client.force_login(supervisor)

    assert declaration.mrn in client.get(reverse("declarations:list")).content.decode()


def test_list_filters_by_lrn_mrn_and_status(client, importer):
    first = lodge(importer, "ALPHA-1")
    second = lodge(importer, "BETA-2")
    client.force_login(importer)
    url = reverse("declarations:list")

    by_lrn = client.get(url, {"lrn": "alpha"}).content.decode()
    by_mrn = client.get(url, {"mrn": second.mrn.lower()}).content.decode()
    by_status = client.get(url, {"status": Status.RELEASED}).content.decode()

    assert first.mrn in by_lrn and second.mrn not in by_lrn
    assert second.mrn in by_mrn and first.mrn not in by_mrn
    assert first.mrn not in by_status and "No declarations match." in by_status


def test_list_filters_by_accepted_date(client, importer):
    old = lodge(importer, "OLD-1")
    new = lodge(importer, "NEW-1")
    Declaration.objects.filter(pk=old.pk).update(accepted_at="2024-01-10T10:00:00Z")
    client.force_login(importer)
    url = reverse("declarations:list")

    january = client.get(url, {"accepted_from": "2024-01-01", "accepted_to": "2024-01-31"}).content.decode()
    since_2025 = client.get(url, {"accepted_from": "2025-01-01"}).content.decode()

    assert old.mrn in january and new.mrn not in january
    assert new.mrn in since_2025 and old.mrn not in since_2025


def test_list_reports_an_impossible_date_range(client, importer):
    client.force_login(importer)

    page = client.get(
        reverse("declarations:list"), {"accepted_from": "2025-02-01", "accepted_to": "2025-01-01"}
    )

    assert "The end date must be the same as or after the start date." in page.content.decode()


def test_list_paginates_at_25(client, importer):
    for n in range(27):
        lodge(importer, f"PAGE-{n:02d}")
    client.force_login(importer)

    first = client.get(reverse("declarations:list"))
    second = client.get(reverse("declarations:list"), {"page": 2})

    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 2
    assert "Page 1 of 2" in first.content.decode()


def test_list_lists_drafts_separately_with_resume_links(client, importer):
    draft = services.declaration_save_draft(user=importer, payload={"lrn": "DRAFT-9", "items": []})
    client.force_login(importer)

    page = client.get(reverse("declarations:list")).content.decode()

    assert "Your drafts" in page
    assert reverse("declarations:draft", args=[draft.pk]) in page


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_query_count_does_not_grow_with_declarations(client, importer, django_assert_num_queries):
    lodge(importer, "Q-1", items=2)
    client.force_login(importer)
    url = reverse("declarations:list")
    with_one = _queries(client, url)
    for n in range(2, 12):
        lodge(importer, f"Q-{n}", items=3)
        services.declaration_save_draft(user=importer, payload={"lrn": f"DQ-{n}", "items": []})

    with django_assert_num_queries(with_one):
        client.get(url)


def test_detail_query_count_does_not_grow_with_items(client, importer, django_assert_num_queries):
    small = lodge(importer, "QD-1", items=1)
    large = lodge(importer, "QD-2", items=12)
    client.force_login(importer)
    with_one_item = _queries(client, reverse("declarations:detail", args=[small.mrn]))

    with django_assert_num_queries(with_one_item):
        client.get(reverse("declarations:detail", args=[large.mrn]))


# --- detail -------------------------------------------------------------------------------------


def test_detail_shows_summary_items_documents_and_timeline(client, importer):
    declaration = lodge(importer, "DET-1", items=2)
    client.force_login(importer)

    page = client.get(reverse("declarations:detail", args=[declaration.mrn])).content.decode()

    assert declaration.mrn in page and "DET-1" in page
    assert "8510200000" in page
    assert "N935" in page and "INV-1" in page
    assert "1 – Sea" in page
    assert "Declaration accepted and MRN issued" in page
    assert f"/api/v1/declarations/{declaration.mrn}/xml" in page


# --- lodging through the form -------------------------------------------------------------------


def test_new_form_defaults_the_declarant_to_the_users_account(client, importer):
    client.force_login(importer)

    form = client.get(reverse("declarations:new")).context["form"]

    assert form.initial["declarant_eori"] == IMPORTER_EORI


def test_form_submit_with_two_items_creates_a_declaration(client, importer):
    client.force_login(importer)
    data = form_post(
        lrn="WEB-TWO", items=[item_row(), item_row(description="Hair trimmers", doc_2_code="C505")]
    )

    response = client.post(reverse("declarations:new"), data, follow=True)

    declaration = Declaration.objects.get(lrn="WEB-TWO")
    assert declaration.status == Status.ACCEPTED
    assert declaration.channel == Channel.WEB_FORM
    assert [i.description for i in declaration.items.order_by("position")] == [
        "Hair clippers with self-contained electric motor",
        "Hair trimmers",
    ]
    assert declaration.items.first().commodity_code == "8510200000"
    assert declaration.items.first().origin_country == "US"
    assert declaration.documents.count() == 3
    assert response.redirect_chain[-1][0] == reverse("declarations:detail", args=[declaration.mrn])
    assert f"Declaration accepted. MRN {declaration.mrn}" in response.content.decode()


def test_blank_item_rows_are_ignored(client, importer):
    client.force_login(importer)
    blank = dict.fromkeys(item_row(), "")

    client.post(reverse("declarations:new"), form_post(lrn="WEB-BLANK", items=[item_row(), blank]))

    assert Declaration.objects.get(lrn="WEB-BLANK").items.count() == 1


def test_form_format_errors_are_shown_in_the_summary_and_beside_the_field(client, importer):
    client.force_login(importer)
    data = form_post(items=[item_row(), item_row(net_mass="heavy")])

    response = client.post(reverse("declarations:new"), data)

    page = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in page
    assert 'href="#id_items-1-net_mass"' in page
    assert 'id="id_items-1-net_mass_error"' in page
    assert not Declaration.objects.filter(lrn="WEB-0001").exists()


def test_form_without_items_asks_for_one(client, importer):
    client.force_login(importer)

    response = client.post(reverse("declarations:new"), form_post(items=[dict.fromkeys(item_row(), "")]))

    assert "Add at least one goods item." in response.content.decode()


def test_wrong_hs_code_shows_an_error_beside_the_commodity_code(client, importer):
    client.force_login(importer)
    data = form_post(lrn="WEB-HS", items=[item_row(), item_row(commodity_code="99999999")])

    response = client.post(reverse("declarations:new"), data)

    second_item = response.context["formset"].forms[1]
    assert response.status_code == 400
    assert second_item.errors.get("commodity_code")
    assert 'href="#id_items-1-commodity_code"' in response.content.decode()
    assert not Declaration.objects.filter(lrn="WEB-HS").exists()


def test_declarant_the_user_may_not_act_for_is_shown_beside_the_declarant(client, importer, outsider):
    client.force_login(importer)

    response = client.post(reverse("declarations:new"), form_post(declarant_eori="GB999999999999"))

    assert response.status_code == 400
    assert response.context["form"].errors["declarant_eori"]


def test_reusing_an_lrn_with_different_content_shows_the_conflict(client, importer):
    client.force_login(importer)
    client.post(reverse("declarations:new"), form_post(lrn="WEB-SAME"))

    response = client.post(reverse("declarations:new"), form_post(lrn="WEB-SAME", invoice_amount="99"))

    assert response.status_code == 400
    assert "already used" in str(response.context["form"].errors["lrn"])


def _messages(errors: Any) -> list[str]:
    return [str(m) for m in errors]


def test_form_lists_rule_errors_together_with_field_errors(client, importer):
    client.force_login(importer)
    # Six digits the form takes, but no HS 2022 subheading: the rules' error, beside the field.
    data = form_post(lrn="WEB-ALL", type_code="", items=[item_row(commodity_code="999999")])

    response = client.post(reverse("declarations:new"), data)

    page = response.content.decode()
    item = response.context["formset"].forms[0]
    unknown = "subheading 999999 does not exist in HS 2022"
    assert response.status_code == 400
    assert response.context["form"].errors["type_code"]
    assert unknown in " ".join(_messages(item.errors["commodity_code"]))
    assert 'id="id_items-0-commodity_code_error"' in page
    summary = page.split('id="error-summary"')[1].split("</ul>")[0]
    assert 'href="#id_type_code"' in summary
    assert 'href="#id_items-0-commodity_code"' in summary and unknown in summary


def test_rejected_submit_with_field_errors_stores_nothing(client, importer):
    client.force_login(importer)
    data = form_post(lrn="WEB-NONE", type_code="", items=[item_row(origin_country="ZZ")])

    response = client.post(reverse("declarations:new"), data)

    assert response.status_code == 400
    assert not Declaration.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="declarations.").exists()
    assert not OutboxMessage.objects.exists()


def test_field_with_a_format_error_gets_no_rule_error_as_well(client, importer):
    client.force_login(importer)
    data = form_post(type_code="", items=[item_row(net_mass="heavy", commodity_code="85x")])

    response = client.post(reverse("declarations:new"), data)

    item = response.context["formset"].forms[0]
    assert _messages(item.errors["net_mass"]) == ["Enter a number, like 1,234.5."]
    assert _messages(item.errors["commodity_code"]) == ["Enter digits only."]
    assert len(response.context["errors"]) == 3


def test_rules_that_need_a_field_with_an_error_do_not_fire(client, importer):
    client.force_login(importer)
    # A malformed EORI is still an EORI given: no rule asks for the importer's address instead.
    data = form_post(trader_eori="GB-1", trader_street="", trader_city="")

    response = client.post(reverse("declarations:new"), data)

    form = response.context["form"]
    assert response.status_code == 400
    assert list(form.errors) == ["trader_eori"]
    assert _messages(form.errors["trader_eori"]) == [
        "An EORI is a two-letter country code followed by up to 15 letters or digits."
    ]


def test_form_with_field_errors_still_reports_a_declarant_the_user_may_not_act_for(client, importer):
    client.force_login(importer)
    data = form_post(declarant_eori="GB999999999999", items=[item_row(quantity="many")])

    response = client.post(reverse("declarations:new"), data)

    assert response.context["formset"].forms[0].errors["quantity"]
    assert "has no active trader account" in " ".join(
        _messages(response.context["form"].errors["declarant_eori"])
    )


def test_form_with_no_items_says_so_once(client, importer):
    client.force_login(importer)

    response = client.post(
        reverse("declarations:new"), form_post(type_code="", items=[dict.fromkeys(item_row(), "")])
    )

    summary = [entry.message for entry in response.context["errors"]]
    assert summary.count("Add at least one goods item.") == 1
    assert not any("no goods items" in message for message in summary)


def test_item_can_carry_more_documents_than_before(client, importer):
    sample = read_declaration(SAMPLE_MANY_DOCUMENTS.read_bytes()).data
    assert sample is not None
    documents = [d for d in sample.items[0].documents if d.kind == DocumentKind.ADDITIONAL]
    assert len(documents) == 13
    row = item_row()
    for n, document in enumerate(documents, start=1):
        row.update({f"doc_{n}_code": document.code, f"doc_{n}_reference": document.reference})
    client.force_login(importer)

    response = client.post(reverse("declarations:new"), form_post(lrn="WEB-DOCS", items=[row]))

    declaration = Declaration.objects.get(lrn="WEB-DOCS")
    assert response.status_code == 302
    assert sorted(d.code for d in declaration.documents.all()) == sorted(d.code for d in documents)


def test_add_another_document_without_javascript_adds_a_row_to_that_item(client, importer):
    client.force_login(importer)
    data = form_post(items=[item_row(), item_row(description="Trimmers")], action="add_document:items-1")

    response = client.post(reverse("declarations:new"), data)

    page = response.content.decode()
    first, second = response.context["formset"].forms
    assert response.status_code == 200
    assert (first.document_row_count, second.document_row_count) == (3, 4)
    assert second.initial["description"] == "Trimmers"
    assert 'name="items-1-doc_4_code"' in page and 'name="items-0-doc_4_code"' not in page
    assert re.search(r'<input[^>]*name="items-1-doc_4_code"[^>]*autofocus', page)
    assert 'role="alert"' not in page
    assert not Declaration.objects.exists()


def test_add_another_document_keeps_blank_items_in_their_place(client, importer):
    client.force_login(importer)
    blank = dict.fromkeys(item_row(), "")
    data = form_post(items=[blank, item_row(description="Trimmers")], action="add_document:items-1")

    response = client.post(reverse("declarations:new"), data)

    forms = response.context["formset"].forms
    assert forms[1].initial["description"] == "Trimmers"
    assert forms[1].document_row_count == 4


def test_every_goods_item_offers_to_add_another_document(client, importer):
    client.force_login(importer)

    page = client.get(reverse("declarations:new")).content.decode()

    assert 'value="add_document:items-0"' in page
    assert 'aria-label="Add another document to goods item 1"' in page
    # The item the page clones for "Add another goods item" has the button too.
    assert 'value="add_document:items-__prefix__"' in page


def test_added_document_rows_survive_a_rejected_submit_and_a_draft(client, importer):
    client.force_login(importer)
    row = item_row(doc_5_code="C505", doc_5_reference="GBCGU-5", doc_4_code="", doc_4_reference="")
    rejected = client.post(
        reverse("declarations:new"), form_post(lrn="DRAFT-DOCS", items=[row], type_code="")
    )
    data = form_post(lrn="DRAFT-DOCS", items=[row], action="save_draft")
    client.post(reverse("declarations:new"), data)
    draft = Declaration.objects.get(lrn="DRAFT-DOCS", status=Status.DRAFT)

    resumed = client.get(reverse("declarations:draft", args=[draft.pk]))

    assert rejected.context["formset"].forms[0].document_row_count == 5
    assert 'value="GBCGU-5"' in rejected.content.decode()
    item = resumed.context["formset"].forms[0]
    assert item.document_row_count == 5
    assert item.initial["doc_5_reference"] == "GBCGU-5"


def test_document_issue_lands_on_the_row_it_is_about_when_rows_above_are_blank():
    # Issues number an item's documents as lodged; here the first document is on row 2.
    data = form_post(items=[item_row(doc_1_code="", doc_1_reference="", doc_2_code="N935")])
    form, formset = forms_from_post(data)  # type: ignore[arg-type]
    assert form.is_valid() and formset.is_valid()

    issues_to_forms(
        form, formset, [Issue("document_code_format", "Bad code.", field="items.1.documents.1.code")]
    )

    assert _messages(formset.forms[0].errors["doc_2_code"]) == ["Bad code."]


def test_add_item_without_javascript_adds_an_empty_row(client, importer):
    client.force_login(importer)
    data = form_post(items=[item_row()], action="add_item")

    response = client.post(reverse("declarations:new"), data)

    formset = response.context["formset"]
    assert len(formset.forms) == 2
    assert formset.forms[0].initial["description"].startswith("Hair clippers")
    assert 'role="alert"' not in response.content.decode()


def test_draft_save_and_resume(client, importer):
    client.force_login(importer)
    data = form_post(lrn="DRAFT-1", items=[item_row(quantity="not yet"), item_row(description="Trimmers")])
    data["action"] = "save_draft"

    saved = client.post(reverse("declarations:new"), data, follow=True)
    draft = Declaration.objects.get(lrn="DRAFT-1", status=Status.DRAFT)
    resumed = client.get(reverse("declarations:draft", args=[draft.pk]))

    assert saved.redirect_chain[-1][0] == reverse("declarations:draft", args=[draft.pk])
    assert "Draft saved." in saved.content.decode()
    assert resumed.context["form"].initial["lrn"] == "DRAFT-1"
    assert [f.initial["description"] for f in resumed.context["formset"].forms][1] == "Trimmers"
    assert resumed.context["formset"].forms[0].initial["quantity"] == "not yet"


def test_submitting_a_resumed_draft_lodges_that_draft(client, importer):
    client.force_login(importer)
    data = form_post(lrn="DRAFT-2")
    data["action"] = "save_draft"
    client.post(reverse("declarations:new"), data)
    draft = Declaration.objects.get(lrn="DRAFT-2")

    client.post(reverse("declarations:draft", args=[draft.pk]), form_post(lrn="DRAFT-2"))

    draft.refresh_from_db()
    assert draft.status == Status.ACCEPTED
    assert draft.mrn
    assert Declaration.objects.filter(lrn="DRAFT-2").count() == 1


def test_issue_paths_map_onto_form_fields():
    assert issue_target("items.2.commodity_code", item_count=2).__dict__ == {
        "item": 1,
        "field": "commodity_code",
    }
    assert issue_target("items.1.documents.3.code", item_count=1).field == "doc_3_code"
    assert (
        issue_target("items.1.additional_procedure_codes", item_count=1).field == "additional_procedure_code"
    )
    assert issue_target("parties.importer.eori", item_count=1).field == "trader_eori"
    assert issue_target("parties.declarant.eori", item_count=1).field == "declarant_eori"
    assert issue_target("arrival_transport_id", item_count=1).field == "transport_id"
    assert issue_target("lrn", item_count=1).field == "lrn"
    assert issue_target("items.5.commodity_code", item_count=2) is None
    assert issue_target("documents.1.code", item_count=1) is None


# --- upload -------------------------------------------------------------------------------------


def test_upload_of_a_real_sample_lodges_it(client, broker):
    client.force_login(broker)

    with SAMPLE_IMPORT.open("rb") as handle:
        response = client.post(reverse("declarations:upload"), {"xml_files": handle}, follow=True)

    declaration = Declaration.objects.get(lrn="7847767E1WB6")
    assert declaration.channel == Channel.WEB_XML
    assert f"MRN {declaration.mrn}" in response.content.decode()


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b"<?xml version='1.0'?><Declaration/>",
        b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
        b"\xff\xfe\x00garbage",
    ],
    ids=["empty", "text", "empty-declaration", "entity", "binary"],
)
def test_upload_of_a_bad_file_lists_errors_and_never_fails(client, broker, body):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(broker)

    response = client.post(reverse("declarations:upload"), {"xml_files": SimpleUploadedFile("bad.xml", body)})

    assert response.status_code == 400
    assert not Declaration.objects.exists()
    assert (
        "There is a problem" in response.content.decode() or "was not accepted" in response.content.decode()
    )


def test_oversized_upload_says_larger_than_limit(client, broker):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(broker)
    big = SimpleUploadedFile("big.xml", b"<" + b" " * (20 * 1024 * 1024 - 1))

    response = client.post(reverse("declarations:upload"), {"xml_files": big})

    page = response.content.decode()
    assert response.status_code == 400
    assert "The file is larger than the limit of 5.0\xa0MB (it is 20.0\xa0MB)." in page
    assert "5,242,881" not in page
    assert not Declaration.objects.exists()


# --- language -----------------------------------------------------------------------------------


@pytest.fixture
def english_afterwards():
    """LocaleMiddleware leaves the language a request asked for active in this thread; put English back
    so later tests that call gettext outside a request are not answered in French."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_french_page_when_the_browser_asks_for_french(client, importer, english_afterwards):
    client.force_login(importer)

    page = client.get(reverse("declarations:new"), headers={"accept-language": "fr"}).content.decode()

    assert '<html lang="fr">' in page
    assert "Déposer une déclaration" in page


def test_french_page_when_the_language_cookie_is_set(client, importer, english_afterwards):
    client.force_login(importer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    page = client.get(reverse("declarations:list")).content.decode()

    assert "Vos brouillons" in page


def test_form_with_a_hundred_goods_items_is_accepted_not_refused_for_its_field_count(client, importer):
    client.force_login(importer)
    rows = [item_row(value_amount="15") for _ in range(100)]
    data = form_post(lrn="WEB-HUNDRED", items=rows)
    assert len(data) > 1000  # above Django's default DATA_UPLOAD_MAX_NUMBER_FIELDS

    response = client.post(reverse("declarations:new"), data)

    assert response.status_code == 302, response.content.decode()[:500]
    assert Declaration.objects.get(lrn="WEB-HUNDRED").items.count() == 100


# --- the other side, representation, offices and the declaration's documents ---------------------

SAMPLE_BROKER_IMPORT = SAMPLES / "imports" / "TT_IM055a__Step1_TT_IM055a.xml"


def counterpart(**overrides: str) -> dict[str, str]:
    """The form's "Exporter or consignee" fields: a foreign exporter without an EORI."""
    fields = {
        "counterpart_eori": "",
        "counterpart_name": "US Clipper Inc.",
        "counterpart_street": "1 Shaver Street",
        "counterpart_city": "New York",
        "counterpart_postcode": "NY1 234",
        "counterpart_country": "us",
    }
    fields.update({f"counterpart_{name}": value for name, value in overrides.items()})
    return fields


def test_form_submit_stores_the_exporter_offices_representation_and_declaration_documents(client, broker):
    client.force_login(broker)
    data = form_post(
        lrn="WEB-FULL",
        declarant_eori=BROKER_EORI,
        representation_code="3",
        supervising_office="gbbel004",
        presentation_office="GBLBA001",
        previous_1_code="zdcr",
        previous_1_reference="4GB553202734852-12345",
        previous_2_code="Z355",
        previous_2_reference="24GB34F7Y1O2CX8PT4",
        document_1_code="1DAN",
        document_1_reference="1108654",
        **counterpart(),
    )

    response = client.post(reverse("declarations:new"), data)

    assert response.status_code == 302, response.content.decode()[:500]
    expected = declaration_data("WEB-FULL")
    expected.representation_code = "3"
    expected.supervising_office = "GBBEL004"
    expected.presentation_office = "GBLBA001"
    expected.parties = [
        PartyData(PartyRole.DECLARANT, eori=BROKER_EORI),
        PartyData(
            PartyRole.IMPORTER,
            eori=IMPORTER_EORI,
            name="Clippers Import Ltd",
            street="1 Harbour Road",
            city="Southend",
            postcode="SS1 1AA",
            country="GB",
        ),
        PartyData(
            PartyRole.EXPORTER,
            name="US Clipper Inc.",
            street="1 Shaver Street",
            city="New York",
            postcode="NY1 234",
            country="US",
        ),
    ]
    # Additional documents first, then previous ones: the order the XML reader gives them.
    expected.documents = [
        DocumentData(DocumentKind.ADDITIONAL, code="1DAN", reference="1108654"),
        DocumentData(DocumentKind.PREVIOUS, code="ZDCR", reference="4GB553202734852-12345"),
        DocumentData(DocumentKind.PREVIOUS, code="Z355", reference="24GB34F7Y1O2CX8PT4"),
    ]
    expected.items[0].documents = [
        DocumentData(DocumentKind.ADDITIONAL, code="N935", reference="INV-2026-0042")
    ]
    assert Declaration.objects.get(lrn="WEB-FULL").to_data() == expected


def test_export_form_stores_the_consignee_in_the_consignee_role(client, exporter):
    client.force_login(exporter)
    data = form_post(
        lrn="WEB-EXPORT",
        type_code="EX",
        additional_type="D",
        declarant_eori=EXPORTER_EORI,
        trader_eori=EXPORTER_EORI,
        exit_office="GB000060",
        destination_country="US",
        export_country="GB",
        items=[item_row(procedure_code="1040")],
        **counterpart(name="Packings Import Incorporated"),
    )

    response = client.post(reverse("declarations:new"), data)

    assert response.status_code == 302, response.content.decode()[:500]
    stored = Declaration.objects.get(lrn="WEB-EXPORT").to_data()
    assert [p.role for p in stored.parties] == [PartyRole.DECLARANT, PartyRole.EXPORTER, PartyRole.CONSIGNEE]
    assert stored.party(PartyRole.CONSIGNEE) == PartyData(
        PartyRole.CONSIGNEE,
        name="Packings Import Incorporated",
        street="1 Shaver Street",
        city="New York",
        postcode="NY1 234",
        country="US",
    )


def test_form_parties_and_documents_equal_those_read_from_the_same_xml(client, broker):
    # HMRC's TT_IM055a: a broker lodges for the importer as its direct representative, with the
    # exporter's name and address, a deferment account and the consignment's DUCR.
    sample = read_declaration(SAMPLE_BROKER_IMPORT.read_bytes()).data
    assert sample is not None
    exporter = sample.party(PartyRole.EXPORTER)
    assert exporter is not None and not exporter.eori
    (deferment,) = [d for d in sample.documents if d.kind == DocumentKind.ADDITIONAL]
    (ducr,) = [d for d in sample.documents if d.kind == DocumentKind.PREVIOUS]
    client.force_login(broker)
    data = form_post(
        lrn="WEB-IM055A",
        declarant_eori=BROKER_EORI,
        trader_name="",
        trader_street="",
        trader_city="",
        trader_postcode="",
        trader_country="",
        representation_code=sample.representation_code,
        previous_1_code=ducr.code,
        previous_1_reference=ducr.reference,
        document_1_code=deferment.code,
        document_1_reference=deferment.reference,
        **{f"counterpart_{name}": getattr(exporter, name) for name in ("name", "street", "city", "postcode")},
        counterpart_country=exporter.country,
    )

    response = client.post(reverse("declarations:new"), data)

    assert response.status_code == 302, response.content.decode()[:500]
    stored = Declaration.objects.get(lrn="WEB-IM055A").to_data()
    assert stored.parties == sample.parties
    assert stored.representation_code == sample.representation_code == "2"
    assert stored.documents == sample.documents


def test_broker_lodging_for_an_importer_without_choosing_is_its_direct_representative(client, broker):
    client.force_login(broker)

    client.post(reverse("declarations:new"), form_post(lrn="WEB-REP", declarant_eori=BROKER_EORI))

    assert Declaration.objects.get(lrn="WEB-REP").representation_code == "2"


def test_draft_keeps_the_other_side_offices_representation_and_added_document_rows(client, broker):
    client.force_login(broker)
    header = {
        "declarant_eori": BROKER_EORI,
        "representation_code": "3",
        "supervising_office": "GBBEL004",
        "presentation_office": "GBLBA001",
        # The page posts every row it shows: two empty ones, and one added with "Add another
        # previous document".
        "previous_1_code": "",
        "previous_1_reference": "",
        "previous_2_code": "",
        "previous_2_reference": "",
        "previous_3_code": "ZDCR",
        "previous_3_reference": "4GB553202734852-12345",
        "document_1_code": "1DAN",
        "document_1_reference": "1108654",
        **counterpart(country="US"),
    }
    client.post(reverse("declarations:new"), form_post(lrn="DRAFT-SIDE", action="save_draft", **header))
    draft = Declaration.objects.get(lrn="DRAFT-SIDE", status=Status.DRAFT)

    resumed = client.get(reverse("declarations:draft", args=[draft.pk]))

    form = resumed.context["form"]
    assert {name: form.initial[name] for name in header} == header
    assert form.document_row_counts == {"previous": 3, "document": 1}
    page = resumed.content.decode()
    assert 'name="previous_3_reference"' in page and 'value="4GB553202734852-12345"' in page
    assert '<option value="3" selected>' in page


def test_rejected_submit_redisplays_the_other_side_offices_and_documents(client, broker):
    client.force_login(broker)
    data = form_post(
        type_code="",
        declarant_eori=BROKER_EORI,
        supervising_office="GBBEL004",
        previous_1_code="ZDCR",
        previous_1_reference="4GB553202734852-12345",
        **counterpart(),
    )

    response = client.post(reverse("declarations:new"), data)

    page = response.content.decode()
    assert response.status_code == 400
    assert 'value="US Clipper Inc."' in page
    assert 'value="GBBEL004"' in page
    assert 'value="4GB553202734852-12345"' in page


def test_unknown_country_of_the_exporter_is_shown_beside_the_exporters_country(client, importer):
    client.force_login(importer)

    response = client.post(reverse("declarations:new"), form_post(lrn="WEB-ZZ", **counterpart(country="ZZ")))

    form = response.context["form"]
    page = response.content.decode()
    assert response.status_code == 400
    # The country picker refuses a code that is not in the list, beside the exporter's own field.
    assert _messages(form.errors["counterpart_country"]) == [
        "“ZZ” is not a country code of the list. Choose one from the list."
    ]
    assert "trader_country" not in form.errors
    assert 'id="id_counterpart_country_error"' in page
    summary = page.split('id="error-summary"')[1].split("</ul>")[0]
    assert 'href="#id_counterpart_country"' in summary
    assert not Declaration.objects.filter(lrn="WEB-ZZ").exists()


def test_format_errors_in_the_summary_name_the_party_or_list_whose_field_it_is(client, importer):
    client.force_login(importer)
    data = form_post(previous_1_code="Z-1", document_1_code="1-DAN", **counterpart(country="U5"))

    response = client.post(reverse("declarations:new"), data)

    summary = [(entry.anchor, entry.label) for entry in response.context["errors"]]
    assert ("id_counterpart_country", "Exporter or consignee, Country") in summary
    assert ("id_previous_1_code", "Previous documents, Document 1 type") in summary
    assert ("id_document_1_code", "Deferred payment and other documents, Document 1 type") in summary


def test_declaration_document_issue_lands_on_its_row_counted_as_lodged():
    # Documents are numbered additional first, then previous (as read from XML), rows with a type only.
    data = form_post(
        previous_1_code="",
        previous_2_code="ZDCR",
        previous_2_reference="DUCR-1",
        document_1_code="1DAN",
        document_1_reference="1108654",
    )
    form, formset = forms_from_post(data)  # type: ignore[arg-type]
    assert form.is_valid() and formset.is_valid()

    issues_to_forms(
        form,
        formset,
        [
            Issue("document_code_unknown", "Bad deferment.", field="documents.1.code"),
            Issue("document_reference", "Bad DUCR.", field="documents.2.reference"),
        ],
    )

    assert _messages(form.errors["document_1_code"]) == ["Bad deferment."]
    assert _messages(form.errors["previous_2_reference"]) == ["Bad DUCR."]


def test_party_issues_map_onto_the_trader_or_the_other_side_by_direction():
    assert issue_target("parties.importer.city", item_count=1, type_code="IM").field == "trader_city"
    assert (
        issue_target("parties.exporter.country", item_count=1, type_code="IM").field == "counterpart_country"
    )
    assert issue_target("parties.exporter.eori", item_count=1, type_code="EX").field == "trader_eori"
    assert issue_target("parties.consignee.name", item_count=1, type_code="EX").field == "counterpart_name"
    assert issue_target("parties.consignee.name", item_count=1, type_code="IM") is None
    assert issue_target("supervising_office", item_count=1).field == "supervising_office"
    assert issue_target(
        "documents.2.code", item_count=1, header_documents=["document_1", "previous_1"]
    ).field == ("previous_1_code")


def test_add_another_previous_document_without_javascript_adds_a_row_to_the_declaration(client, importer):
    client.force_login(importer)
    data = form_post(
        previous_1_code="ZDCR", previous_1_reference="DUCR-1", action="add_document:declaration-previous"
    )

    response = client.post(reverse("declarations:new"), data)

    page = response.content.decode()
    form = response.context["form"]
    assert response.status_code == 200
    assert form.document_row_counts == {"previous": 3, "document": 1}
    assert form.initial["previous_1_reference"] == "DUCR-1"
    assert re.search(r'<input[^>]*name="previous_3_code"[^>]*autofocus', page)
    assert response.context["formset"].forms[0].document_row_count == 3
    assert 'role="alert"' not in page
    assert not Declaration.objects.exists()


def test_form_offers_to_add_rows_to_each_list_of_declaration_documents(client, importer):
    client.force_login(importer)

    page = client.get(reverse("declarations:new")).content.decode()

    assert 'value="add_document:declaration-previous"' in page
    assert 'value="add_document:declaration-document"' in page
    assert "<legend>Declaration documents</legend>" in page


def test_document_rows_a_page_never_showed_are_not_built_from_a_crafted_post(client, importer):
    client.force_login(importer)
    # One field per item naming row 99: a browser posts every row it shows, so this is crafted.
    rows = [{**item_row(), "doc_99_code": "N935"} for _ in range(3)]
    data = form_post(lrn="WEB-CRAFTED", items=rows, action="save_draft")

    client.post(reverse("declarations:new"), data)

    draft = Declaration.objects.get(lrn="WEB-CRAFTED", status=Status.DRAFT)
    resumed = client.get(reverse("declarations:draft", args=[draft.pk]))
    # As many rows as were posted (the three shown and the odd one), not 99.
    assert [form.document_row_count for form in resumed.context["formset"].forms] == [4, 4, 4]
    assert "doc_99_code" not in resumed.content.decode()


def test_a_number_with_an_absurd_exponent_is_a_field_error_not_a_billion_character_message(client, importer):
    client.force_login(importer)
    # Without any currency the rules would quote the price in full: 10,000,000 digits here.
    data = form_post(
        lrn="WEB-EXP", invoice_currency="", items=[item_row(value_amount="1e9999999", value_currency="")]
    )

    response = client.post(reverse("declarations:new"), data)

    assert response.status_code == 400
    assert len(response.content) < 200_000
    assert not Declaration.objects.filter(lrn="WEB-EXP").exists()
