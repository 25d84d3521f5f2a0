"""The browser form gets the same rule errors for numbers and codes, beside the field."""

from __future__ import annotations

import pytest
from django.urls import reverse

from declarations.models import Declaration

from ..test_views import form_post, item_row

pytestmark = pytest.mark.django_db


def test_form_mass_the_database_cannot_read_back_is_shown_beside_the_field(client, importer):
    client.force_login(importer)
    # 16 digits: within the form field's max_digits, beyond what SQLite gives back exactly.
    row = item_row(net_mass="9999999999999.999", gross_mass="9999999999999.999")
    response = client.post(reverse("declarations:new"), form_post(lrn="WEB-BIG", items=[row]))

    assert response.status_code == 400
    item = response.context["formset"].forms[0]
    assert item.errors["net_mass"] == [
        "Goods item 1: the net mass is larger than the portal can store; declare at most 999999999999.999."
    ]
    assert not Declaration.objects.filter(lrn="WEB-BIG").exists()


def test_form_unknown_codes_are_shown_beside_their_fields(client, importer, settings):
    settings.SW_STRICT_DOCUMENT_CODES = True
    client.force_login(importer)
    row = item_row(additional_procedure_code="000 ZZZ", doc_1_code="N999")
    response = client.post(reverse("declarations:new"), form_post(lrn="WEB-CODES", items=[row]))

    assert response.status_code == 400
    item = response.context["formset"].forms[0]
    (procedure_error,) = item.errors["additional_procedure_code"]
    (document_error,) = item.errors["doc_1_code"]
    assert "ZZZ is not in the list of additional procedure codes" in procedure_error
    assert "N999, which is not in the list of document codes" in document_error
    assert not Declaration.objects.filter(lrn="WEB-CODES").exists()
