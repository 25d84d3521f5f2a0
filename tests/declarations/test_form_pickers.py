"""Code pickers: the options come from the portal's reference data; nothing typed is cut or guessed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from declarations import refdata
from declarations.forms import DeclarationForm, GoodsItemForm, forms_from_post, pickers
from declarations.models import ReferenceCode, ReferenceCodeList

from .test_views import form_post, item_row

pytestmark = pytest.mark.django_db


def options(client, name: str) -> dict[str, str]:
    response = client.get(reverse("declarations:code_list", args=[name]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return dict(response.json()["options"])


def test_code_lists_need_a_signed_in_user(client):
    response = client.get(reverse("declarations:code_list", args=["country"]))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_country_options_are_the_rules_list(client, importer):
    client.force_login(importer)
    countries = options(client, "country")
    assert countries["FR"].startswith("France")
    assert countries["XK"]  # HMRC's user-assigned code, which ISO lacks
    assert countries == dict(refdata.countries())


def test_an_override_adds_and_withdraws_options(client, importer):
    ReferenceCode.objects.create(code_list=ReferenceCodeList.CURRENCY, code="XSW", description="Pilot unit")
    ReferenceCode.objects.create(code_list=ReferenceCodeList.CURRENCY, code="HRK", is_active=False)
    client.force_login(importer)
    currencies = options(client, "currency")
    assert currencies["XSW"] == "Pilot unit"
    assert "HRK" not in currencies


def test_procedure_options_are_the_combined_codes_only(client, importer):
    client.force_login(importer)
    procedures = options(client, "procedure")
    assert "1040" in procedures
    assert all(len(code) == 4 for code in procedures)


def test_goods_locations_are_served_by_their_identification(client, importer):
    client.force_login(importer)
    locations = options(client, "goods-location")
    assert locations["BELBFSBEL"] == "Belfast Airport (GB)"


def test_document_options_show_no_provenance_as_a_name(client, importer):
    client.force_login(importer)
    documents = options(client, "document")
    assert "N935" in documents
    assert not any(name.startswith("accepted HMRC sample") for name in documents.values())


def test_an_unknown_code_list_is_404(client, importer):
    client.force_login(importer)
    assert client.get(reverse("declarations:code_list", args=["passwords"])).status_code == 404


def test_code_list_is_revalidated_by_its_etag(client, importer):
    client.force_login(importer)
    url = reverse("declarations:code_list", args=["country"])
    first = client.get(url)
    assert "private" in first["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304


def test_no_form_input_has_a_maxlength_a_browser_would_cut_at():
    """A browser drops what is typed past maxlength without a word ("France" became FR)."""
    header = DeclarationForm()
    item = GoodsItemForm(prefix="items-0")
    html = str(header) + str(item)
    assert "maxlength" not in html


def test_a_country_name_in_a_strict_picker_is_refused_with_the_codes_it_could_mean():
    field = pickers.CodeField(picker=pickers.COUNTRY, label="Country")
    with pytest.raises(Exception) as error:
        field.clean("France")
    message = " ".join(error.value.messages)
    assert "“FRANCE” is not a country code of the list." in message
    assert "FR (France" in message


def test_a_listed_code_is_accepted_in_any_case():
    field = pickers.CodeField(picker=pickers.COUNTRY, label="Country")
    assert field.clean(" fr ") == "FR"


def test_a_document_code_too_long_is_an_error_not_a_shorter_code():
    form, formset = forms_from_post(
        _querydict(form_post(items=[item_row(doc_1_code="N9355", doc_1_reference="INV-1")]))
    )
    assert not formset.is_valid()
    errors = formset.forms[0].errors["doc_1_code"]
    assert errors == ["Enter the document type as four letters or digits, like N935."]


def test_the_picker_names_the_code_it_holds():
    html = str(GoodsItemForm(prefix="items-0", initial={"doc_1_code": "N935"})["doc_1_code"])
    assert 'data-code-list="/declarations/code-lists/document/"' in html
    assert 'class="picker__name" id="id_items-0-doc_1_code_name"' in html


def _querydict(data: dict[str, str]):
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    query.update(data)
    return query


def test_a_huge_text_in_a_picker_is_refused_without_repeating_it_whole():
    field = pickers.CodeField(picker=pickers.COUNTRY, label="Country")
    with pytest.raises(Exception) as error:
        field.clean("France" * 100_000)
    assert len(" ".join(error.value.messages)) < 200
