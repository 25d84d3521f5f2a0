"""The browser forms: lodging a declaration field by field, uploading XML, filtering the list.

The forms only check format (required, numbers, code shapes); the business rules are the
service's (``services.declaration_lodge``), and their issues are mapped back onto the form fields
by ``issues_to_forms`` so the trader sees each one beside the field it is about.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from accounts.models import eori_validator

from .canonical import DeclarationData, DocumentData, DocumentKind, Issue, ItemData, PartyData, PartyRole
from .models import Status

ITEMS_PREFIX = "items"
# Supporting-document rows a goods item shows at least; "Add another document" adds one at a time.
# HMRC's accepted import samples carry up to 13 documents on one item (TT_IM030a).
DOCUMENT_ROWS = 3
MAX_DOCUMENTS = 99  # DE 2/3 may occur up to 99 times on a goods item
# At most three digits: a longer number is no row of ours (and int() of thousands of digits fails).
DOCUMENT_FIELD = re.compile(r"doc_(\d{1,3})_(code|reference)")

country_validator = RegexValidator(r"^[A-Z]{2}$", _("Enter a two-letter country code, like GB or FR."))
currency_validator = RegexValidator(r"^[A-Z]{3}$", _("Enter a three-letter currency code, like GBP or EUR."))
digits_validator = RegexValidator(r"^\d+$", _("Enter digits only."))
procedure_validator = RegexValidator(r"^\d{4}$", _("Enter the procedure code as four digits, like 4000."))
office_validator = RegexValidator(
    r"^[A-Z]{2}[A-Z0-9]{6}$", _("Enter an office code of 8 characters, like GB000060.")
)
document_code_validator = RegexValidator(
    r"^[A-Z0-9]{4}$", _("Enter the document type as four letters or digits, like N935.")
)

TYPE_CHOICES = [("", _("Choose…")), ("IM", _("IM – Import")), ("EX", _("EX – Export"))]
ADDITIONAL_TYPE_CHOICES = [
    ("", _("Choose…")),
    ("A", _("A – Standard, frontier")),
    ("B", _("B – Simplified, occasional, frontier")),
    ("C", _("C – Simplified, regular, frontier")),
    ("D", _("D – Standard, pre-lodged")),
    ("E", _("E – Simplified, occasional, pre-lodged")),
    ("F", _("F – Simplified, regular, pre-lodged")),
    ("Y", _("Y – Supplementary (simplified)")),
    ("Z", _("Z – Supplementary (entry in records)")),
]
TRANSPORT_MODE_CHOICES = [
    ("", _("Choose…")),
    ("1", _("1 – Sea")),
    ("2", _("2 – Rail")),
    ("3", _("3 – Road")),
    ("4", _("4 – Air")),
    ("5", _("5 – Post")),
    ("7", _("7 – Fixed installations")),
    ("8", _("8 – Inland waterway")),
    ("9", _("9 – Own propulsion")),
]
TRANSPORT_ID_TYPE_CHOICES = [
    ("", _("Choose…")),
    ("10", _("10 – IMO ship number")),
    ("11", _("11 – Name of the sea-going vessel")),
    ("20", _("20 – Wagon number")),
    ("30", _("30 – Vehicle registration")),
    ("40", _("40 – IATA flight number")),
    ("41", _("41 – Aircraft registration")),
    ("80", _("80 – European vessel number")),
]


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


class UpperCharField(forms.CharField):
    """Codes (EORI, countries, currencies, offices) are upper case; accept them typed in any case."""

    def to_python(self, value: Any) -> str:
        return _upper(super().to_python(value))


class CommodityCodeField(forms.CharField):
    """HS codes are often written with spaces or dots (``8510 20 00``); store the digits."""

    def to_python(self, value: Any) -> str:
        return re.sub(r"[\s.]", "", super().to_python(value) or "")


def _text(width: str = "medium", **attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"class": f"input--{width}", **attrs})


def _code(width: str = "short", **attrs: str) -> forms.TextInput:
    return forms.TextInput(
        attrs={"class": f"input--{width}", "autocapitalize": "characters", "spellcheck": "false", **attrs}
    )


def _number(**attrs: str) -> forms.TextInput:
    # A text input with a decimal keypad: <input type=number> mangles values like "1,5" silently.
    return forms.TextInput(attrs={"class": "input--medium", "inputmode": "decimal", **attrs})


class DeclarationForm(forms.Form):
    """The declaration header: type, references, parties, invoice, transport and location."""

    type_code = forms.ChoiceField(label=_("Declaration type"), choices=TYPE_CHOICES, help_text=_("DE 1/1"))
    additional_type = forms.ChoiceField(
        label=_("Additional declaration type"), choices=ADDITIONAL_TYPE_CHOICES, help_text=_("DE 1/2")
    )
    lrn = forms.CharField(
        label=_("Local reference number (LRN)"),
        max_length=22,
        widget=_code("medium"),
        help_text=_("Your own reference for this declaration, up to 22 characters (DE 2/5)."),
    )
    declarant_eori = UpperCharField(
        label=_("Declarant EORI"),
        max_length=17,
        validators=[eori_validator],
        widget=_code("medium"),
        help_text=_("The account lodging the declaration (DE 3/18)."),
    )
    trader_eori = UpperCharField(
        label=_("Importer or exporter EORI"),
        max_length=17,
        required=False,
        validators=[eori_validator],
        widget=_code("medium"),
        help_text=_("The importer on an import, the exporter on an export (DE 3/16 or 3/2)."),
    )
    trader_name = forms.CharField(label=_("Name"), max_length=70, required=False, widget=_text("long"))
    trader_street = forms.CharField(
        label=_("Street and number"), max_length=70, required=False, widget=_text("long")
    )
    trader_city = forms.CharField(label=_("City"), max_length=35, required=False, widget=_text())
    trader_postcode = forms.CharField(label=_("Postcode"), max_length=9, required=False, widget=_code())
    trader_country = UpperCharField(
        label=_("Country"), max_length=2, required=False, validators=[country_validator], widget=_code()
    )
    invoice_amount = forms.DecimalField(
        label=_("Total amount invoiced"),
        max_digits=18,
        decimal_places=3,
        min_value=Decimal(0),
        required=False,
        widget=_number(),
        help_text=_("DE 4/11"),
    )
    invoice_currency = UpperCharField(
        label=_("Invoice currency"),
        max_length=3,
        required=False,
        validators=[currency_validator],
        widget=_code(),
        help_text=_("For example GBP, EUR, USD."),
    )
    destination_country = UpperCharField(
        label=_("Country of destination"),
        max_length=2,
        required=False,
        validators=[country_validator],
        widget=_code(),
        help_text=_("DE 5/8"),
    )
    export_country = UpperCharField(
        label=_("Country of dispatch or export"),
        max_length=2,
        required=False,
        validators=[country_validator],
        widget=_code(),
        help_text=_("DE 5/14"),
    )
    exit_office = UpperCharField(
        label=_("Office of exit"),
        max_length=8,
        required=False,
        validators=[office_validator],
        widget=_code(),
        help_text=_("Exports only (DE 5/12)."),
    )
    border_transport_mode = forms.ChoiceField(
        label=_("Mode of transport at the border"),
        choices=TRANSPORT_MODE_CHOICES,
        required=False,
        help_text=_("DE 7/4"),
    )
    border_transport_nationality = UpperCharField(
        label=_("Nationality of the means of transport"),
        max_length=2,
        required=False,
        validators=[country_validator],
        widget=_code(),
        help_text=_("DE 7/15"),
    )
    transport_id = forms.CharField(
        label=_("Identity of the means of transport"),
        max_length=35,
        required=False,
        widget=_text(),
        help_text=_("On arrival for imports (DE 7/9), at departure for exports (DE 7/7)."),
    )
    transport_id_type = forms.ChoiceField(
        label=_("Type of transport identity"), choices=TRANSPORT_ID_TYPE_CHOICES, required=False
    )
    goods_location = UpperCharField(
        label=_("Location of goods"),
        max_length=35,
        required=False,
        widget=_code("medium"),
        help_text=_("Where the goods can be examined, for example WLALONBTW (DE 5/23)."),
    )

    SECTIONS = [
        (_("Declaration"), ["type_code", "additional_type", "lrn", "declarant_eori"]),
        (
            _("Importer or exporter"),
            [
                "trader_eori",
                "trader_name",
                "trader_street",
                "trader_city",
                "trader_postcode",
                "trader_country",
            ],
        ),
        (
            _("Value and countries"),
            ["invoice_amount", "invoice_currency", "destination_country", "export_country", "exit_office"],
        ),
        (
            _("Transport and location"),
            [
                "border_transport_mode",
                "border_transport_nationality",
                "transport_id",
                "transport_id_type",
                "goods_location",
            ],
        ),
    ]

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(str(title), [self[name] for name in names]) for title, names in self.SECTIONS]


class GoodsItemForm(forms.Form):
    """One goods item and its supporting documents."""

    description = forms.CharField(
        label=_("Description of goods"), max_length=512, widget=_text("long"), help_text=_("DE 6/8")
    )
    commodity_code = CommodityCodeField(
        label=_("Commodity code"),
        max_length=10,
        validators=[digits_validator],
        widget=_code("medium"),
        help_text=_("6, 8 or 10 digits (DE 6/14–6/15)."),
    )
    origin_country = UpperCharField(
        label=_("Country of origin"),
        max_length=2,
        required=False,
        validators=[country_validator],
        widget=_code(),
    )
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=16,
        decimal_places=3,
        min_value=Decimal(0),
        required=False,
        widget=_number(),
        help_text=_("Supplementary units (DE 6/2)."),
    )
    quantity_unit = forms.CharField(
        label=_("Unit"),
        max_length=10,
        required=False,
        widget=_code(),
        help_text=_("For example NAR, KGM, LTR."),
    )
    net_mass = forms.DecimalField(
        label=_("Net mass (kg)"),
        max_digits=16,
        decimal_places=3,
        min_value=Decimal(0),
        required=False,
        widget=_number(),
    )
    gross_mass = forms.DecimalField(
        label=_("Gross mass (kg)"),
        max_digits=16,
        decimal_places=3,
        min_value=Decimal(0),
        required=False,
        widget=_number(),
    )
    value_amount = forms.DecimalField(
        label=_("Item price"),
        max_digits=18,
        decimal_places=3,
        min_value=Decimal(0),
        required=False,
        widget=_number(),
        help_text=_("DE 4/14"),
    )
    value_currency = UpperCharField(
        label=_("Currency"), max_length=3, required=False, validators=[currency_validator], widget=_code()
    )
    procedure_code = forms.CharField(
        label=_("Procedure code"),
        max_length=4,
        required=False,
        validators=[procedure_validator],
        widget=_code(),
        help_text=_("Four digits, like 4000 (DE 1/10)."),
    )
    additional_procedure_code = UpperCharField(
        label=_("Additional procedure codes"),
        max_length=40,
        required=False,
        widget=_code("medium"),
        help_text=_("Three characters each, separated by spaces, like 000 (DE 1/11)."),
    )

    ITEM_FIELDS = [
        "description",
        "commodity_code",
        "origin_country",
        "quantity",
        "quantity_unit",
        "net_mass",
        "gross_mass",
        "value_amount",
        "value_currency",
        "procedure_code",
        "additional_procedure_code",
    ]

    def __init__(self, *args: Any, document_rows: int = DOCUMENT_ROWS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.document_row_count = min(max(document_rows, DOCUMENT_ROWS), MAX_DOCUMENTS)
        for n in self.document_numbers():
            self.fields[f"doc_{n}_code"] = UpperCharField(
                label=_("Document %(n)s type") % {"n": n},
                max_length=4,
                required=False,
                validators=[document_code_validator],
                widget=_code(),
            )
            self.fields[f"doc_{n}_reference"] = forms.CharField(
                label=_("Document %(n)s reference") % {"n": n},
                max_length=70,
                required=False,
                widget=_text("long"),
            )

    def item_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.ITEM_FIELDS]

    def document_numbers(self) -> range:
        return range(1, self.document_row_count + 1)

    def document_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"doc_{n}_code"], self[f"doc_{n}_reference"]) for n in self.document_numbers()]

    def can_add_document(self) -> bool:
        return self.document_row_count < MAX_DOCUMENTS

    def lodged_document_rows(self) -> list[int]:
        """The rows that make documents, in order: those with a type (the rules count documents so)."""
        values = readable_values(self)
        return [n for n in self.document_numbers() if values.get(f"doc_{n}_code")]

    def clean_additional_procedure_code(self) -> str:
        value: str = self.cleaned_data["additional_procedure_code"]
        codes = re.split(r"[\s,;]+", value.strip()) if value.strip() else []
        if any(not re.fullmatch(r"[A-Z0-9]{3}", code) for code in codes):
            raise forms.ValidationError(
                _("Each additional procedure code is three letters or digits, like 000.")
            )
        return " ".join(codes)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for n in self.document_numbers():
            if cleaned.get(f"doc_{n}_reference") and not cleaned.get(f"doc_{n}_code"):
                self.add_error(f"doc_{n}_code", _("Enter the type of the document, like N935."))
        return cleaned


def document_rows_in(names: Iterable[str]) -> int:
    """How many document rows a set of item field names holds (posted or saved): the highest row number."""
    return max((int(m[1]) for name in names if (m := DOCUMENT_FIELD.fullmatch(name))), default=0)


def posted_document_rows(data: Iterable[str], prefix: str = ITEMS_PREFIX) -> dict[int, int]:
    """The document rows each posted item had on the page, by item index (``items-2-doc_7_code``)."""
    # One pass over the posted names rather than one per item.
    pattern = re.compile(rf"{re.escape(prefix)}-(\d{{1,3}})-(doc_\d{{1,3}}_(?:code|reference))")
    names: dict[int, list[str]] = {}
    for key in data:
        if m := pattern.fullmatch(key):
            names.setdefault(int(m[1]), []).append(m[2])
    return {index: document_rows_in(found) for index, found in names.items()}


class BaseGoodsItemFormSet(forms.BaseFormSet):
    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        """Each item gets as many document rows as the page it came from had (or its draft holds)."""
        kwargs: dict[str, Any] = super().get_form_kwargs(index)
        if index is None:  # the empty item the page clones for "Add another goods item"
            rows = DOCUMENT_ROWS
        elif self.is_bound:
            rows = self._posted_document_rows.get(index, 0)
        else:
            initial = self.initial[index] if self.initial and index < len(self.initial) else {}
            rows = document_rows_in(initial)
        kwargs["document_rows"] = rows
        return kwargs

    @cached_property
    def _posted_document_rows(self) -> dict[int, int]:
        return posted_document_rows(self.data, self.prefix or ITEMS_PREFIX)

    def clean(self) -> None:
        if any(self.errors):
            return
        if not any(form.has_changed() for form in self.forms):
            raise forms.ValidationError(_("Add at least one goods item."))

    def filled_forms(self) -> list[GoodsItemForm]:
        """The item forms the trader filled in; a row left entirely blank is not an item."""
        return [form for form in self.forms if form.has_changed()]


GoodsItemFormSet = forms.formset_factory(
    GoodsItemForm, formset=BaseGoodsItemFormSet, extra=0, min_num=0, max_num=999, absolute_max=999
)


# ---------------------------------------------------------------------------------------------
# Building the forms from a request, a draft or nothing


def header_field_names() -> list[str]:
    return list(DeclarationForm.base_fields)


def item_field_names(document_rows: int = DOCUMENT_ROWS) -> list[str]:
    return list(GoodsItemForm(prefix="x", document_rows=document_rows).fields)


def payload_from_post(data: QueryDict, *, keep_blank_items: bool = False) -> dict[str, Any]:
    """The form's raw input as a JSON-able dict, so a draft resumes exactly as the trader left it.

    Items left entirely blank are dropped unless ``keep_blank_items`` (the page is only being
    re-shown, so the items keep their positions).
    """
    header = {name: data.get(name, "").strip() for name in header_field_names()}
    try:
        total = min(int(data.get(f"{ITEMS_PREFIX}-TOTAL_FORMS", "0")), 999)
    except ValueError:
        total = 0
    rows = posted_document_rows(data)
    items = []
    for i in range(max(total, 0)):
        names = item_field_names(rows.get(i, 0))
        row = {name: data.get(f"{ITEMS_PREFIX}-{i}-{name}", "").strip() for name in names}
        if keep_blank_items or any(row.values()):
            items.append(row)
    # Flat header fields: the draft service reads the LRN from ``payload["lrn"]``.
    return {**header, "items": items}


def document_added_to(action: str) -> int | None:
    """The item (0-based) whose "Add another document" button was pressed, if that was the action."""
    m = re.fullmatch(rf"add_document:{ITEMS_PREFIX}-(\d{{1,3}})", action)
    return int(m[1]) if m else None


def forms_from_payload(
    payload: dict[str, Any] | None,
    *,
    default_declarant: str = "",
    add_item: bool = False,
    add_document_to: int | None = None,
) -> tuple[DeclarationForm, BaseGoodsItemFormSet]:
    """Unbound forms showing a draft (or a blank declaration).

    Optionally with one more empty item, or one more document row on item ``add_document_to``.
    """
    payload = payload or {}
    header = {name: payload.get(name, "") for name in header_field_names()}
    if not header.get("declarant_eori") and default_declarant:
        header["declarant_eori"] = default_declarant
    items = [dict(row) for row in payload.get("items") or [] if isinstance(row, dict)]
    if add_document_to is not None and 0 <= add_document_to < len(items):
        row = items[add_document_to]
        n = max(document_rows_in(row), DOCUMENT_ROWS) + 1
        if n <= MAX_DOCUMENTS:
            row.update({f"doc_{n}_code": "", f"doc_{n}_reference": ""})
    if add_item or not items:
        items.append({})
    formset: BaseGoodsItemFormSet = GoodsItemFormSet(initial=items, prefix=ITEMS_PREFIX)  # type: ignore[assignment]
    return DeclarationForm(initial=header), formset


def forms_from_post(data: QueryDict) -> tuple[DeclarationForm, BaseGoodsItemFormSet]:
    """Bound forms for a submission. Every item row is optional so a blank trailing row is ignored."""
    data = data.copy()
    # Rows rendered from a draft count as "initial" forms, which Django would require to be filled.
    data[f"{ITEMS_PREFIX}-INITIAL_FORMS"] = "0"
    formset: BaseGoodsItemFormSet = GoodsItemFormSet(data, prefix=ITEMS_PREFIX)  # type: ignore[assignment]
    return DeclarationForm(data), formset


# ---------------------------------------------------------------------------------------------
# Form → canonical declaration


def form_to_declaration_data(form: DeclarationForm, formset: BaseGoodsItemFormSet) -> DeclarationData:
    """The canonical declaration the forms describe, ready for ``services.declaration_lodge``.

    On valid forms this is exactly their cleaned data. On forms with errors it is the declaration
    as far as it can be read (``readable_values``), so the portal's rules can check the rest in the
    same round: that one is only ever validated, never lodged.
    """
    h = _Values(readable_values(form))
    type_code = h.text("type_code")
    trader_role = PartyRole.EXPORTER if type_code == "EX" else PartyRole.IMPORTER
    parties = [PartyData(role=PartyRole.DECLARANT, eori=h.text("declarant_eori"))]
    trader = PartyData(
        role=trader_role,
        eori=h.text("trader_eori"),
        name=h.text("trader_name"),
        street=h.text("trader_street"),
        city=h.text("trader_city"),
        postcode=h.text("trader_postcode"),
        country=h.text("trader_country"),
    )
    if any([trader.eori, trader.name, trader.street, trader.city, trader.postcode, trader.country]):
        parties.append(trader)
    is_export = type_code == "EX"
    items = [_item_data(position, f) for position, f in enumerate(formset.filled_forms(), start=1)]
    # A declarant lodging for another account acts as its direct representative (DE 3/21 code 2).
    represents = bool(trader.eori) and trader.eori != h.text("declarant_eori")
    transport_id, transport_id_type = h.text("transport_id"), h.text("transport_id_type")
    return DeclarationData(
        type_code=type_code,
        additional_type=h.text("additional_type"),
        lrn=h.text("lrn"),
        goods_item_quantity=len(items),
        invoice_amount=h.decimal("invoice_amount"),
        invoice_currency=h.text("invoice_currency"),
        representation_code="2" if represents else "",
        parties=parties,
        exit_office=h.text("exit_office"),
        border_transport_mode=h.text("border_transport_mode"),
        border_transport_nationality=h.text("border_transport_nationality"),
        arrival_transport_id="" if is_export else transport_id,
        arrival_transport_id_type="" if is_export else transport_id_type,
        departure_transport_id=transport_id if is_export else "",
        departure_transport_id_type=transport_id_type if is_export else "",
        goods_location=h.text("goods_location"),
        destination_country=h.text("destination_country"),
        export_country=h.text("export_country"),
        items=items,
    )


def _item_data(position: int, form: GoodsItemForm) -> ItemData:
    c = _Values(readable_values(form))
    documents = [
        DocumentData(
            kind=DocumentKind.ADDITIONAL, code=c.text(f"doc_{n}_code"), reference=c.text(f"doc_{n}_reference")
        )
        for n in form.lodged_document_rows()
    ]
    additional = c.text("additional_procedure_code")
    return ItemData(
        sequence=position,
        description=c.text("description"),
        commodity_code=c.text("commodity_code"),
        origin_country=c.text("origin_country"),
        procedure_code=c.text("procedure_code"),
        additional_procedure_codes=additional.split() if additional else [],
        quantity=c.decimal("quantity"),
        quantity_unit=c.text("quantity_unit").upper(),
        net_mass=c.decimal("net_mass"),
        gross_mass=c.decimal("gross_mass"),
        value_amount=c.decimal("value_amount"),
        value_currency=c.text("value_currency"),
        documents=documents,
    )


def readable_values(form: forms.Form) -> dict[str, Any]:
    """The form's cleaned values and, for each field that failed its checks, what the trader typed.

    A field typed in but wrong counts as given for the other rules (a malformed importer EORI is
    still an EORI, so no rule asks for the importer's address instead); the wrong value itself is
    only judged by the field's own error. Input that is not even of the field's type (``heavy``
    for a mass) reads as not given. Valid forms give exactly their cleaned data.
    """
    errors = form.errors  # cleans the form if it was not yet
    values = dict(form.cleaned_data)
    for name in errors:
        if name == NON_FIELD_ERRORS or name not in form.fields:
            continue
        field = form.fields[name]
        raw = field.widget.value_from_datadict(form.data, form.files, form.add_prefix(name))
        try:
            values[name] = field.to_python(raw)
        except forms.ValidationError:
            values[name] = None
    return values


class _Values:
    """Typed reads of a form's values; a field that is absent or unreadable is empty."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def text(self, name: str) -> str:
        value = self.values.get(name)
        return value.strip() if isinstance(value, str) else ""

    def decimal(self, name: str) -> Decimal | None:
        value = self.values.get(name)
        return value if isinstance(value, Decimal) else None


# ---------------------------------------------------------------------------------------------
# Service issues → form errors

# Canonical header paths whose form field has another name.
HEADER_FIELD_FOR: dict[str, str | None] = {
    "parties.declarant.eori": "declarant_eori",
    "parties.declarant": "declarant_eori",
    "arrival_transport_id": "transport_id",
    "departure_transport_id": "transport_id",
    "arrival_transport_id_type": "transport_id_type",
    "departure_transport_id_type": "transport_id_type",
    "goods_location_type": "goods_location",
    "goods_location_qualifier": "goods_location",
    "goods_location_country": "goods_location",
    "goods_item_quantity": None,
    "function_code": None,
}
TRADER_PARTY_FIELDS = {"eori", "name", "street", "city", "postcode", "country"}
ITEM_FIELD_FOR = {
    "additional_procedure_codes": "additional_procedure_code",
    "origin_type": "origin_country",
    "statistical_value": "value_amount",
}


@dataclass
class IssueTarget:
    """Where on the page an issue belongs: an item form (0-based) or the header, and a field or none."""

    item: int | None
    field: str | None


def issue_target(path: str, *, item_count: int) -> IssueTarget | None:
    """Map a canonical path (``items.2.commodity_code``) onto the form; None when nothing matches."""
    parts = path.split(".") if path else []
    if not parts:
        return None
    if parts[0] == "items":
        if len(parts) < 2 or not parts[1].isdigit() or not 1 <= int(parts[1]) <= item_count:
            return None
        index = int(parts[1]) - 1
        rest = parts[2:]
        if not rest:
            return IssueTarget(index, None)
        if rest[0] == "documents":
            if len(rest) >= 2 and rest[1].isdigit() and 1 <= int(rest[1]) <= MAX_DOCUMENTS:
                column = "reference" if len(rest) >= 3 and rest[2] == "reference" else "code"
                return IssueTarget(index, f"doc_{rest[1]}_{column}")
            return IssueTarget(index, None)
        name = ITEM_FIELD_FOR.get(rest[0], rest[0])
        return IssueTarget(index, name if name in GoodsItemForm.ITEM_FIELDS else None)
    if parts[0] == "parties" and len(parts) >= 2 and parts[1] in ("importer", "exporter"):
        attribute = parts[2] if len(parts) >= 3 and parts[2] in TRADER_PARTY_FIELDS else "eori"
        return IssueTarget(None, f"trader_{attribute}")
    if path in HEADER_FIELD_FOR:
        header_field = HEADER_FIELD_FOR[path]
        return IssueTarget(None, header_field) if header_field else None
    if parts[0] in DeclarationForm.base_fields:
        return IssueTarget(None, parts[0])
    return None


def issues_to_forms(
    form: DeclarationForm,
    formset: BaseGoodsItemFormSet,
    issues: list[Issue],
    *,
    besides_field_errors: bool = False,
) -> list[Issue]:
    """Put every issue the service found beside its field; return those that fit no field.

    Issue item numbers count the items as lodged, i.e. the filled-in rows, not blank rows in between,
    and document numbers count the document rows with a type.

    ``besides_field_errors``: the forms have field errors already (the rules ran on what could be
    read); an issue about a field that has its own error is left out, so each field says one thing.
    """
    filled = formset.filled_forms()
    taken: set[tuple[int | None, str]] = set()
    if besides_field_errors:
        taken = {(None, name) for name in form.errors} | {
            (index, name) for index, item in enumerate(filled) for name in item.errors
        }
    unplaced: list[Issue] = []
    for issue in issues:
        target = issue_target(issue.field, item_count=len(filled))
        if target is None:
            # "No goods items" is what the formset's own error already says.
            if not (besides_field_errors and issue.field == "items" and formset.non_form_errors()):
                unplaced.append(issue)
            continue
        item = None if target.item is None else filled[target.item]
        field = target.field if item is None else _document_row(item, target.field)
        if field is not None and (target.item, field) in taken:
            continue
        _add_error(form if item is None else item, field, issue.message)
    return unplaced


def _document_row(item: GoodsItemForm, field: str | None) -> str | None:
    """The item field an issue's field is about: ``doc_2_code`` is the second document with a type."""
    m = DOCUMENT_FIELD.fullmatch(field or "")
    if m is None:
        return field
    rows = item.lodged_document_rows()
    position = int(m[1])
    return f"doc_{rows[position - 1]}_{m[2]}" if position <= len(rows) else None


def _add_error(form: forms.Form, field: str | None, message: str) -> None:
    # add_error drops the field from cleaned_data; the forms are only re-rendered after this.
    if field is not None and field in form.fields:
        form.add_error(field, message)
    else:
        form.add_error(None, message)


@dataclass
class SummaryEntry:
    message: str
    anchor: str = ""  # id of the input the entry links to
    label: str = ""  # where: "Goods item 2, Commodity code"
    pointer: str = ""


def error_summary(
    form: DeclarationForm,
    formset: BaseGoodsItemFormSet,
    unplaced: list[Issue] | None = None,
    *,
    service_messages: frozenset[str] = frozenset(),
) -> list[SummaryEntry]:
    """Every error on the page, in page order, each linking to its field.

    Format errors ("Enter a number.") are prefixed with where they are; the service's messages
    already say where (``Goods item 2, commodity code …``), so they are not prefixed again.
    """

    def where(label: str, message: str) -> str:
        return "" if message in service_messages else label

    entries = [SummaryEntry(str(m), anchor="declaration-header") for m in form.non_field_errors()]
    entries += [
        SummaryEntry(str(e), b.id_for_label, where(str(b.label), str(e))) for b in form for e in b.errors
    ]
    entries += [SummaryEntry(str(m), anchor="goods-items") for m in formset.non_form_errors()]
    for number, item in enumerate(formset.forms, start=1):
        name = str(_("Goods item %(n)s") % {"n": number})
        entries += [
            SummaryEntry(str(m), f"goods-item-{number}", where(name, str(m))) for m in item.non_field_errors()
        ]
        entries += [
            SummaryEntry(str(e), b.id_for_label, where(f"{name}, {b.label}", str(e)))
            for b in item
            for e in b.errors
        ]
    entries += [SummaryEntry(i.message, pointer=i.pointer or i.field) for i in unplaced or []]
    return entries


# ---------------------------------------------------------------------------------------------
# Upload and list filters


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("WCO declaration XML file"),
        help_text=_("A WCO Data Model 3.6 goods declaration, with or without the MetaData envelope."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        # Refused on the size the upload reports, before anything is read into memory.
        if upload.size is not None and upload.size > settings.SW_MAX_XML_BYTES:
            raise forms.ValidationError(upload_too_large_message(upload.size), code="too_large")
        return upload


def upload_too_large_message(size: int | None = None) -> str:
    """The file is over the XML size cap: say so with the limit (and the file's size when known)."""
    limit = filesizeformat(settings.SW_MAX_XML_BYTES)
    if size is None:
        return str(_("The file is larger than the limit of %(limit)s.") % {"limit": limit})
    return str(
        _("The file is larger than the limit of %(limit)s (it is %(size)s).")
        % {"limit": limit, "size": filesizeformat(size)}
    )


class DeclarationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status"))] + [(v, label) for v, label in Status.choices if v != Status.DRAFT],
    )
    accepted_from = forms.DateField(
        label=_("Accepted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    accepted_to = forms.DateField(
        label=_("Accepted to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    lrn = forms.CharField(label=_("LRN"), required=False, max_length=22)
    mrn = UpperCharField(label=_("MRN"), required=False, max_length=18)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("accepted_from"), cleaned.get("accepted_to")
        if start and end and start > end:
            self.add_error("accepted_to", _("The end date must be the same as or after the start date."))
        return cleaned
