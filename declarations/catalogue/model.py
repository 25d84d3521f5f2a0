"""What a row of the field catalogue says about one data element."""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from declarations.canonical import DeclarationData, DocumentData, ItemData, PartyData, TaxLineData

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Path = tuple[str, ...]
Record = type[DeclarationData] | type[ItemData] | type[PartyData] | type[DocumentData] | type[TaxLineData]


@dataclass(frozen=True)
class TextLimit:
    """The longest text the schema element takes and, for codes of a fixed shape, that shape."""

    max_length: int
    pattern: re.Pattern[str] | None = None
    # What a code of that shape looks like, for the message that refuses another ("one digit").
    shape: StrOrPromise = ""


class WidgetKind(enum.StrEnum):
    TEXT = "text"  # free text
    CODE = "code"  # a code typed in (no spell check, capitals on phones)
    NUMBER = "number"  # a decimal amount, mass or quantity
    CHOICE = "choice"  # a short fixed list shown as a select
    PICKER = "picker"  # a code chosen from a reference code list (``code_list``)
    DATE = "date"


@dataclass(frozen=True)
class Widget:
    """How the browser form shows an element.

    ``code_list`` names the code list a picker offers (``forms.pickers.PICKER_LISTS``: ``country``,
    ``currency``, ``customs-office`` ...), ``choices`` a fixed list of the form
    (``forms.fields.CHOICES``), ``format`` the shape a typed code must have (``forms.fields.FORMATS``:
    ``eori``, ``commodity``, ``office``, ``procedure``).
    """

    kind: WidgetKind
    width: str = "short"  # short, medium or long (the input's CSS class)
    code_list: str = ""
    choices: str = ""
    format: str = ""
    upper: bool = False  # typed in any case, kept in capitals


@dataclass(frozen=True)
class FormSpec:
    """Where and how the browser form takes an element; ``None`` on an element: not on the form."""

    name: str  # the form field's name
    widget: Widget
    # The header section it is shown in (``forms.header.SECTIONS``); on items "" (the item's own
    # fields) or ``duties`` (its "Duties and taxes" part, with the tax lines).
    section: str = ""
    required: bool = False
    label: StrOrPromise | None = None  # where the form says it shorter than the element's label
    help: StrOrPromise = ""
    # The form reads it in code, not field for field (a transport identity the direction places on
    # arrival or departure, additional procedure codes typed on one line).
    mapped_by_code: bool = False
    max_length: int | None = None  # where one form field holds several values


@dataclass(frozen=True)
class Element:
    """One data element: its number, label, canonical attribute, WCO path, limits, column and widget.

    ``wco`` is below the ``Declaration`` for header elements, below ``GovernmentAgencyGoodsItem``
    for item elements, below the party's element for party elements, below the document's
    element for document elements and below the item's ``DutyTaxFee`` for tax line elements; a
    last step ``@name`` is an attribute. The reader takes the element from there (or from
    ``read_also`` when absent) and the writer puts it there; an error about it points there.
    """

    record: Record
    attr: str
    de: str  # the data element number in the EU/UK data requirements ("6/1"), "" when it has none
    label: StrOrPromise  # lower case, as a sentence names it ("net mass")
    wco: Path
    # The schema's facets of the element written, where the generic text rule applies (a text with
    # a format rule of its own leaves its shape and length to that rule: ``own_format``).
    text: TextLimit | None = None
    digits: tuple[int, int] | None = None  # the schema's totalDigits and fractionDigits
    own_format: bool = False
    # The longest value where no column and no schema facet says it (a list's entries).
    max_length: int | None = None
    required: bool = False  # the JSON input must give it (and not blank)
    minimum: int | None = None  # the smallest number the JSON input takes
    # Accepted while parsing JSON up to the message's own length, so that the rule answers with its
    # own error (the LRN: 35 characters in the message, 22 by the rule).
    parse_length: int | None = None
    read_also: tuple[Path, ...] = ()  # other places a sender may put it (the reader's fallbacks)
    item_level: Path | None = None  # a header element a message may give on each item instead
    # The reader and writer map it in code, not by the generic loop over the catalogue (a type code
    # split in two, a flag, a procedure code spread over two elements ...); its ``wco`` is still the
    # place the pointer names.
    mapped_by_code: bool = False
    unit_code: str = ""  # the unitCode a measure must carry (masses: KGM)
    form: FormSpec | None = None
    shown_at: str = ""  # the form field an issue about it is shown beside, when it has no field
    role: str = ""  # a party element's role (``importer``); "" on the attribute's own row

    @property
    def key(self) -> str:
        """The catalogue key: the canonical path without positions (``items.net_mass``,
        ``parties.importer.eori``, ``documents.reference``, ``items.tax_lines.tax_type``; an item's
        documents share the rows of the declaration's)."""
        if self.record is PartyData and self.role:
            return f"parties.{self.role}.{self.attr}"
        return f"{_PREFIX[self.record]}{self.attr}"

    def for_role(self, role: str, de: str, form: FormSpec | None) -> Element:
        """This party attribute of one role: its own key, DE number and form field."""
        return dataclasses.replace(self, role=role, de=de, form=form)


_PREFIX: dict[Record, str] = {
    DeclarationData: "",
    ItemData: "items.",
    DocumentData: "documents.",
    PartyData: "parties.",
    TaxLineData: "items.tax_lines.",
}
