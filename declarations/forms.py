"""The browser forms: lodging a declaration field by field, uploading XML, filtering the list.

The forms only check format (required, numbers, code shapes); the business rules are the
service's (``services.declaration_lodge``), and their issues are mapped back onto the form fields
by ``issues_to_forms`` so the trader sees each one beside the field it is about.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import eori_validator

from .canonical import DeclarationData, DocumentData, DocumentKind, Issue, ItemData, PartyData, PartyRole
from .models import Status
from .wco import paths

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ITEMS_PREFIX = "items"
# Supporting-document rows a goods item shows at least; "Add another document" adds one at a time.
# HMRC's accepted import samples carry up to 13 documents on one item (TT_IM030a).
DOCUMENT_ROWS = 3
MAX_DOCUMENTS = 99  # DE 2/3 may occur up to 99 times on a goods item; the header lists keep the same cap
# The party attributes the form takes, for the trader (``trader_*``) and the other side (``counterpart_*``).
PARTY_FIELDS = ("eori", "name", "street", "city", "postcode", "country")

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
previous_document_code_validator = RegexValidator(
    r"^[A-Z0-9]{4}$", _("Enter the document type as four letters or digits, like ZDCR.")
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
# DE 3/21, as HMRC's samples declare it (Agent/FunctionCode): 2 direct, 3 indirect representation.
# No code means the declarant acts for itself. Short texts: the select is one column wide.
REPRESENTATION_CHOICES = [
    ("", pgettext_lazy("representation (DE 3/21)", "None")),
    ("2", _("2 – Direct")),
    ("3", _("3 – Indirect")),
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


# ---------------------------------------------------------------------------------------------
# Lists of supporting-document rows (on goods items and on the declaration)


@dataclass(frozen=True, eq=False)
class DocumentList:
    """A list of document rows on a form: fields ``<stem>_<n>_code`` and ``<stem>_<n>_reference``.

    A form shows ``min_rows`` rows at least, or as many as the page it came from (or its draft)
    had; "Add another" adds one at a time up to ``MAX_DOCUMENTS``, without JavaScript.
    """

    stem: str
    kind: DocumentKind
    min_rows: int
    title: StrOrPromise
    hint: StrOrPromise
    type_label: StrOrPromise  # "%(n)s" is the row number
    reference_label: StrOrPromise
    type_validator: RegexValidator
    type_missing: StrOrPromise  # a row with a reference but no type
    add_label: StrOrPromise
    add_aria: StrOrPromise = ""  # the button's accessible name, where its text is not enough

    def code_field(self, n: int) -> str:
        return f"{self.stem}_{n}_code"

    def reference_field(self, n: int) -> str:
        return f"{self.stem}_{n}_reference"

    def rows_in(self, names: Iterable[str]) -> int:
        """How many of these rows field names (posted or saved) hold: the highest row number, but
        never more rows than the names speak of.

        A page posts every row it shows, empty or not; rows it did not post are a crafted request
        (one ``items-N-doc_99_code`` on each of 999 items would otherwise build 200,000 fields),
        and the rows past what was posted are dropped.
        """
        pattern = _document_field_pattern(self.stem)
        numbers = {int(m[1]) for name in names if (m := pattern.fullmatch(name))}
        return min(max(numbers, default=0), len(numbers))

    def row_count(self, rows: int) -> int:
        return min(max(rows, self.min_rows), MAX_DOCUMENTS)

    def with_another_row(self, values: dict[str, Any]) -> None:
        """Add one empty row to saved form values (``values`` holds this list's rows)."""
        n = max(self.rows_in(values), self.min_rows) + 1
        if n <= MAX_DOCUMENTS:
            values.update({self.code_field(n): "", self.reference_field(n): ""})


@functools.cache
def _document_field_pattern(stem: str) -> re.Pattern[str]:
    # At most three digits: a longer number is no row of ours (and int() of thousands of digits fails).
    return re.compile(rf"{re.escape(stem)}_(\d{{1,3}})_(code|reference)")


ITEM_DOCUMENTS = DocumentList(
    stem="doc",
    kind=DocumentKind.ADDITIONAL,
    min_rows=DOCUMENT_ROWS,
    title=_("Supporting documents"),
    hint=_(
        "Certificates, licences and other documents for this item, for example N935 (invoice) with its "
        "reference (DE 2/3)."
    ),
    type_label=_("Document %(n)s type"),
    reference_label=_("Document %(n)s reference"),
    type_validator=document_code_validator,
    type_missing=_("Enter the type of the document, like N935."),
    add_label=_("Add another document"),
)
DOCUMENT_FIELD = _document_field_pattern(ITEM_DOCUMENTS.stem)  # ``doc_3_code``
# What HMRC's samples carry for the whole declaration: previous documents (DE 2/1, on every one:
# the DUCR, the entry summary declaration) and the deferment account (DE 2/6, ``1DAN``), which
# WCO places among the declaration's additional documents, as it would a DE 2/3 document there.
PREVIOUS_DOCUMENTS = DocumentList(
    stem="previous",
    kind=DocumentKind.PREVIOUS,
    min_rows=2,
    title=_("Previous documents"),
    hint=_(
        "For example ZDCR with the consignment's DUCR, or Z355 with the MRN of the entry summary "
        "declaration (DE 2/1)."
    ),
    type_label=_("Document %(n)s type"),
    reference_label=_("Document %(n)s reference"),
    type_validator=previous_document_code_validator,
    type_missing=_("Enter the type of the previous document, like ZDCR."),
    add_label=_("Add another previous document"),
)
DECLARATION_DOCUMENTS = DocumentList(
    stem="document",
    kind=DocumentKind.ADDITIONAL,
    min_rows=1,
    title=_("Deferred payment and other documents"),
    hint=_(
        "For example 1DAN with your deferment account number (DE 2/6), or a document that applies to "
        "every goods item (DE 2/3)."
    ),
    type_label=_("Document %(n)s type"),
    reference_label=_("Document %(n)s reference"),
    type_validator=document_code_validator,
    type_missing=_("Enter the type of the document, like N935."),
    add_label=_("Add another document"),
    add_aria=_("Add another document to the declaration"),
)


@dataclass
class DocumentRows:
    """One list of document rows as the page shows it."""

    id: str  # of its heading, which names the group of rows
    title: str
    hint: str
    rows: list[tuple[forms.BoundField, forms.BoundField]]
    add_action: str  # the value of its "Add another" button; empty once the list is full
    add_label: str
    add_aria: str


class DocumentRowsForm(forms.Form):
    """A form with lists of supporting-document rows, each as long as the page or draft it came from.

    ``lodged_documents`` are the rows with a type, in the order ``DeclarationData`` holds them
    (``DOCUMENT_ORDER``, the XML reader's): the rules number documents so, and their issues are
    mapped back to rows by it.
    """

    DOCUMENT_LISTS: ClassVar[tuple[DocumentList, ...]] = ()
    DOCUMENT_ORDER: ClassVar[tuple[DocumentKind, ...]] = tuple(DocumentKind)

    def _add_document_fields(self, rows: Mapping[str, int]) -> None:
        self.document_row_counts: dict[str, int] = {}
        for documents in self.DOCUMENT_LISTS:
            count = documents.row_count(rows.get(documents.stem, 0))
            self.document_row_counts[documents.stem] = count
            for n in range(1, count + 1):
                self.fields[documents.code_field(n)] = UpperCharField(
                    label=documents.type_label % {"n": n},
                    max_length=4,
                    required=False,
                    validators=[documents.type_validator],
                    widget=_code(),
                )
                self.fields[documents.reference_field(n)] = forms.CharField(
                    label=documents.reference_label % {"n": n},
                    max_length=70,
                    required=False,
                    widget=_text("long"),
                )

    def add_document_action(self, documents: DocumentList) -> str:
        """The value of the button that adds a row to ``documents`` (see ``document_added_to``)."""
        raise NotImplementedError

    def document_list_id(self, documents: DocumentList) -> str:
        raise NotImplementedError

    def document_fields(self, documents: DocumentList) -> list[str]:
        count = self.document_row_counts[documents.stem]
        return [
            name
            for n in range(1, count + 1)
            for name in (documents.code_field(n), documents.reference_field(n))
        ]

    def document_lists(self) -> list[DocumentRows]:
        out = []
        for documents in self.DOCUMENT_LISTS:
            count = self.document_row_counts[documents.stem]
            rows = [
                (self[documents.code_field(n)], self[documents.reference_field(n)])
                for n in range(1, count + 1)
            ]
            out.append(
                DocumentRows(
                    id=self.document_list_id(documents),
                    title=str(documents.title),
                    hint=str(documents.hint),
                    rows=rows,
                    add_action=self.add_document_action(documents) if count < MAX_DOCUMENTS else "",
                    add_label=str(documents.add_label),
                    add_aria=str(documents.add_aria),
                )
            )
        return out

    def lodged_documents(self) -> list[tuple[DocumentList, int]]:
        """The rows that make documents (those with a type) as (list, row number), in canonical order."""
        values = readable_values(self)
        rows = [
            (documents, n)
            for documents in self.DOCUMENT_LISTS
            for n in range(1, self.document_row_counts[documents.stem] + 1)
            if values.get(documents.code_field(n))
        ]
        return sorted(rows, key=lambda row: self.DOCUMENT_ORDER.index(row[0].kind))

    def documents_data(self) -> list[DocumentData]:
        values = _Values(readable_values(self))
        return [
            DocumentData(
                kind=documents.kind,
                code=values.text(documents.code_field(n)),
                reference=values.text(documents.reference_field(n)),
            )
            for documents, n in self.lodged_documents()
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for documents in self.DOCUMENT_LISTS:
            for n in range(1, self.document_row_counts[documents.stem] + 1):
                if cleaned.get(documents.reference_field(n)) and not cleaned.get(documents.code_field(n)):
                    self.add_error(documents.code_field(n), documents.type_missing)
        return cleaned


@dataclass
class Section:
    """A fieldset of the declaration header."""

    title: StrOrPromise
    names: list[str]
    hint: StrOrPromise = ""


class DeclarationForm(DocumentRowsForm):
    """The declaration header: type, references, parties, invoice, offices, transport, location, documents."""

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
    representation_code = forms.ChoiceField(
        label=_("Representation"),
        choices=REPRESENTATION_CHOICES,
        required=False,
        help_text=_("Direct or indirect, when the declarant lodges for the importer or exporter (DE 3/21)."),
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
    # The other side of the trade, in the role the XML reader gives it (``party_roles``).
    counterpart_eori = UpperCharField(
        label=_("Exporter or consignee EORI"),
        max_length=17,
        required=False,
        validators=[eori_validator],
        widget=_code("medium"),
        help_text=_("Optional (DE 3/2 or 3/10)."),
    )
    counterpart_name = forms.CharField(label=_("Name"), max_length=70, required=False, widget=_text("long"))
    counterpart_street = forms.CharField(
        label=_("Street and number"), max_length=70, required=False, widget=_text("long")
    )
    counterpart_city = forms.CharField(label=_("City"), max_length=35, required=False, widget=_text())
    counterpart_postcode = forms.CharField(label=_("Postcode"), max_length=9, required=False, widget=_code())
    counterpart_country = UpperCharField(
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
    supervising_office = UpperCharField(
        label=_("Supervising office"),
        max_length=8,
        required=False,
        validators=[office_validator],
        widget=_code(),
        help_text=_("The office supervising a special procedure, such as customs warehousing (DE 5/27)."),
    )
    presentation_office = UpperCharField(
        label=_("Office of presentation"),
        max_length=8,
        required=False,
        validators=[office_validator],
        widget=_code(),
        help_text=_("Where the goods are presented to customs, if not at the location of goods (DE 5/26)."),
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
        Section(
            _("Declaration"), ["type_code", "additional_type", "lrn", "declarant_eori", "representation_code"]
        ),
        Section(
            _("Importer or exporter"),
            [f"trader_{name}" for name in PARTY_FIELDS],
        ),
        Section(
            _("Exporter or consignee"),
            [f"counterpart_{name}" for name in PARTY_FIELDS],
            _(
                "On an import, the exporter who sends the goods (DE 3/1); on an export, the consignee who "
                "receives them (DE 3/9). Their EORI if they have one, otherwise their name and address."
            ),
        ),
        Section(
            _("Value and countries"),
            ["invoice_amount", "invoice_currency", "destination_country", "export_country"],
        ),
        Section(_("Customs offices"), ["exit_office", "supervising_office", "presentation_office"]),
        Section(
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
    DOCUMENTS_TITLE = _("Declaration documents")
    DOCUMENT_LISTS = (PREVIOUS_DOCUMENTS, DECLARATION_DOCUMENTS)
    # The order the XML reader gives the declaration's documents (``DeclarationData.documents``).
    DOCUMENT_ORDER = tuple(paths.HEADER_DOCUMENTS)

    def __init__(self, *args: Any, document_rows: Mapping[str, int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if document_rows is None:
            # As many document rows as the page posted or the draft holds.
            names = list(self.data if self.is_bound else self.initial)
            document_rows = {documents.stem: documents.rows_in(names) for documents in self.DOCUMENT_LISTS}
        self._add_document_fields(document_rows)

    def sections(self) -> list[tuple[Section, list[forms.BoundField]]]:
        return [(section, [self[name] for name in section.names]) for section in self.SECTIONS]

    def add_document_action(self, documents: DocumentList) -> str:
        return f"{ADD_DOCUMENT}:{DECLARATION_TARGET}-{documents.stem}"

    def document_list_id(self, documents: DocumentList) -> str:
        return f"{DECLARATION_TARGET}-{documents.stem}-documents"

    @cached_property
    def _summary_labels(self) -> dict[str, str]:
        """Labels the header has twice (the importer's "Country" and the exporter's, "Document 1 type" of
        each list of documents) with the title of their section or list."""
        labels = {name: str(field.label) for name, field in self.fields.items()}
        counts: dict[str, int] = {}
        for label in labels.values():
            counts[label] = counts.get(label, 0) + 1
        groups = [(section.title, section.names) for section in self.SECTIONS] + [
            (documents.title, self.document_fields(documents)) for documents in self.DOCUMENT_LISTS
        ]
        for title, names in groups:
            for name in names:
                if counts[labels[name]] > 1:
                    labels[name] = f"{title}, {labels[name]}"
        return labels

    def summary_label(self, field: forms.BoundField) -> str:
        """How the error summary names ``field``: its label, with its section's title where needed."""
        return self._summary_labels.get(field.name, str(field.label))


class GoodsItemForm(DocumentRowsForm):
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

    DOCUMENT_LISTS = (ITEM_DOCUMENTS,)
    DOCUMENT_ORDER = tuple(paths.ITEM_DOCUMENTS)

    def __init__(self, *args: Any, document_rows: int = DOCUMENT_ROWS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._add_document_fields({ITEM_DOCUMENTS.stem: document_rows})

    @property
    def document_row_count(self) -> int:
        return self.document_row_counts[ITEM_DOCUMENTS.stem]

    def item_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.ITEM_FIELDS]

    def add_document_action(self, documents: DocumentList) -> str:
        # The item's prefix (``items-2``; ``items-__prefix__`` in the template the page clones).
        return f"{ADD_DOCUMENT}:{self.prefix}"

    def document_list_id(self, documents: DocumentList) -> str:
        return f"{self.prefix}-documents"

    def lodged_document_rows(self) -> list[int]:
        """The rows that make documents, in order: those with a type (the rules count documents so)."""
        return [n for _documents, n in self.lodged_documents()]

    def clean_additional_procedure_code(self) -> str:
        value: str = self.cleaned_data["additional_procedure_code"]
        codes = re.split(r"[\s,;]+", value.strip()) if value.strip() else []
        if any(not re.fullmatch(r"[A-Z0-9]{3}", code) for code in codes):
            raise forms.ValidationError(
                _("Each additional procedure code is three letters or digits, like 000.")
            )
        return " ".join(codes)


def document_rows_in(names: Iterable[str]) -> int:
    """How many document rows an item's field names (posted or saved) hold; see ``rows_in``."""
    return ITEM_DOCUMENTS.rows_in(names)


def posted_document_rows(data: Iterable[str], prefix: str = ITEMS_PREFIX) -> dict[int, int]:
    """The document rows each posted item had on the page, by item index (``items-2-doc_7_code``)."""
    # One pass over the posted names rather than one per item.
    stem = re.escape(ITEM_DOCUMENTS.stem)
    pattern = re.compile(rf"{re.escape(prefix)}-(\d{{1,3}})-({stem}_\d{{1,3}}_(?:code|reference))")
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


def header_field_names(present: Iterable[str] = ()) -> list[str]:
    """The header's field names, with as many document rows as ``present`` (posted or saved names) holds."""
    names = list(present)
    rows = {documents.stem: documents.rows_in(names) for documents in DeclarationForm.DOCUMENT_LISTS}
    return list(DeclarationForm(document_rows=rows).fields)


def item_field_names(document_rows: int = DOCUMENT_ROWS) -> list[str]:
    return list(GoodsItemForm(prefix="x", document_rows=document_rows).fields)


def payload_from_post(data: QueryDict, *, keep_blank_items: bool = False) -> dict[str, Any]:
    """The form's raw input as a JSON-able dict, so a draft resumes exactly as the trader left it.

    Items left entirely blank are dropped unless ``keep_blank_items`` (the page is only being
    re-shown, so the items keep their positions).
    """
    header = {name: data.get(name, "").strip() for name in header_field_names(data)}
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


# "Add another document" buttons: ``add_document:items-2`` (goods item 3) or
# ``add_document:declaration-previous`` (a list of the declaration's own documents).
ADD_DOCUMENT = "add_document"
DECLARATION_TARGET = "declaration"
ADD_DOCUMENT_ACTION = re.compile(
    rf"{ADD_DOCUMENT}:(?:{ITEMS_PREFIX}-(?P<item>\d{{1,3}})|{DECLARATION_TARGET}-(?P<stem>[a-z]{{1,20}}))"
)


@dataclass(frozen=True)
class DocumentAdded:
    """Where "Add another document" was pressed: a goods item (0-based) or the declaration (None)."""

    item: int | None
    documents: DocumentList


def document_added_to(action: str) -> DocumentAdded | None:
    """The list whose "Add another document" button was pressed, if that was the action."""
    m = ADD_DOCUMENT_ACTION.fullmatch(action)
    if m is None:
        return None
    if m["item"] is not None:
        return DocumentAdded(int(m["item"]), ITEM_DOCUMENTS)
    documents = next((d for d in DeclarationForm.DOCUMENT_LISTS if d.stem == m["stem"]), None)
    return DocumentAdded(None, documents) if documents else None


def forms_from_payload(
    payload: dict[str, Any] | None,
    *,
    default_declarant: str = "",
    add_item: bool = False,
    add_document: DocumentAdded | None = None,
) -> tuple[DeclarationForm, BaseGoodsItemFormSet]:
    """Unbound forms showing a draft (or a blank declaration).

    Optionally with one more empty item, or one more document row where ``add_document`` says.
    """
    payload = payload or {}
    header = {name: payload.get(name, "") for name in header_field_names(payload)}
    if not header.get("declarant_eori") and default_declarant:
        header["declarant_eori"] = default_declarant
    items = [dict(row) for row in payload.get("items") or [] if isinstance(row, dict)]
    if add_document is not None:
        if add_document.item is None:
            add_document.documents.with_another_row(header)
        elif 0 <= add_document.item < len(items):
            add_document.documents.with_another_row(items[add_document.item])
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
    trader_role, counterpart_role = party_roles(type_code)
    parties = [PartyData(role=PartyRole.DECLARANT, eori=h.text("declarant_eori"))]
    # In PartyRole order, as the XML reader lists them: importer, exporter, consignee.
    trader = _party(h, "trader", trader_role)
    parties += [party for party in (trader, _party(h, "counterpart", counterpart_role)) if party]
    is_export = type_code == "EX"
    items = [_item_data(position, f) for position, f in enumerate(formset.filled_forms(), start=1)]
    representation = h.text("representation_code")
    if not representation and trader and trader.eori and trader.eori != h.text("declarant_eori"):
        # A declarant lodging for another account cannot be acting for itself; unless the trader
        # chose indirect representation, it is the direct representative (DE 3/21 code 2).
        representation = "2"
    transport_id, transport_id_type = h.text("transport_id"), h.text("transport_id_type")
    return DeclarationData(
        type_code=type_code,
        additional_type=h.text("additional_type"),
        lrn=h.text("lrn"),
        goods_item_quantity=len(items),
        invoice_amount=h.decimal("invoice_amount"),
        invoice_currency=h.text("invoice_currency"),
        representation_code=representation,
        parties=parties,
        supervising_office=h.text("supervising_office"),
        presentation_office=h.text("presentation_office"),
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
        documents=form.documents_data(),
        items=items,
    )


def party_roles(type_code: str) -> tuple[PartyRole, PartyRole]:
    """The roles of the form's two parties: the trader's and the other side's, as the XML reader has them.

    HMRC's import samples name the importer (DE 3/15-3/16) and the exporter who sent the goods
    (DE 3/1-3/2); its export samples the exporter and the consignee who receives them (DE 3/9-3/10).
    """
    if type_code == "EX":
        return PartyRole.EXPORTER, PartyRole.CONSIGNEE
    return PartyRole.IMPORTER, PartyRole.EXPORTER


def _party(values: _Values, prefix: str, role: PartyRole) -> PartyData | None:
    """The party of the form's ``<prefix>_*`` fields; None when they are all empty."""
    party = PartyData(role=role, **{name: values.text(f"{prefix}_{name}") for name in PARTY_FIELDS})
    return party if any(getattr(party, name) for name in PARTY_FIELDS) else None


def _item_data(position: int, form: GoodsItemForm) -> ItemData:
    c = _Values(readable_values(form))
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
        documents=form.documents_data(),
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
            value = field.to_python(raw)
            if isinstance(field, forms.DecimalField | forms.IntegerField):
                # A number beyond its field's digits (1e999999999) reads as not given: the rules
                # would otherwise spell it out in a message a billion characters long.
                field.run_validators(value)
            values[name] = value
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


def issue_target(
    path: str, *, item_count: int, type_code: str = "", header_documents: Sequence[str] = ()
) -> IssueTarget | None:
    """Map a canonical path (``items.2.commodity_code``) onto the form; None when nothing matches.

    ``type_code`` says which party is the trader and which the other side (``party_roles``);
    ``header_documents`` names the rows of the declaration's documents as lodged
    (``documents.2`` is the row ``header_documents[1]``, e.g. ``previous_1``).
    """
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
    if parts[0] == "documents":
        if len(parts) >= 2 and parts[1].isdigit() and 1 <= int(parts[1]) <= len(header_documents):
            column = "reference" if len(parts) >= 3 and parts[2] == "reference" else "code"
            return IssueTarget(None, f"{header_documents[int(parts[1]) - 1]}_{column}")
        return None
    if parts[0] == "parties" and len(parts) >= 2:
        trader, counterpart = party_roles(type_code)
        prefix = {trader.value: "trader", counterpart.value: "counterpart"}.get(parts[1])
        if prefix is not None:
            attribute = parts[2] if len(parts) >= 3 and parts[2] in PARTY_FIELDS else "eori"
            return IssueTarget(None, f"{prefix}_{attribute}")
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
    and document numbers count the document rows with a type (the declaration's in canonical order).

    ``besides_field_errors``: the forms have field errors already (the rules ran on what could be
    read); an issue about a field that has its own error is left out, so each field says one thing.
    """
    filled = formset.filled_forms()
    taken: set[tuple[int | None, str]] = set()
    if besides_field_errors:
        taken = {(None, name) for name in form.errors} | {
            (index, name) for index, item in enumerate(filled) for name in item.errors
        }
    type_code = _Values(readable_values(form)).text("type_code")
    header_documents = [f"{documents.stem}_{n}" for documents, n in form.lodged_documents()]
    unplaced: list[Issue] = []
    for issue in issues:
        target = issue_target(
            issue.field, item_count=len(filled), type_code=type_code, header_documents=header_documents
        )
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
    return f"{ITEM_DOCUMENTS.stem}_{rows[position - 1]}_{m[2]}" if position <= len(rows) else None


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
        SummaryEntry(str(e), b.id_for_label, where(form.summary_label(b), str(e)))
        for b in form
        for e in b.errors
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
