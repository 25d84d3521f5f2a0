"""WCO DMS additional messages: amendments (function code 13, type COR) and cancellations (INV, or 14).

An amendment names what it changes with pointers by WCO class code, one ``Amendment`` (06A) per
change: ``42A → 67A → 68A[1] → 23A → 65A, tag 128`` is the net mass (DE 6/1) of goods item 1. The
message body carries the new values at those places (and usually some context: the item's number,
the other documents). So the version in force is copied and each pointed data element is taken
from the body; what the body leaves out at a pointed place is cleared, and a pointed document or
goods item the body does not give is removed. Classes that repeat are addressed by number: goods
items by their item number (DE 1/6), documents by their position on the item, packaging by its
sequence (the portal records one per item).

A goods item's tax lines (DutyTaxFee, 50A) are addressed by their position on the item, like its
documents: a pointer at a data element of tax line 2 (``50A[2]/94A``, tag 107) takes the method of
payment from the body's second DutyTaxFee; a pointer at a tax line one past the last adds the
body's line; one at a whole tax line the body does not give removes it.

Pointers to data the portal does not record (a deduction, free-text statements, a document's
name, write-offs) are reported as warnings, as lodgement ignores those elements; the message is
kept with the version as received.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from lxml import etree

from declarations.canonical import (
    DeclarationData,
    DocumentData,
    DocumentKind,
    Issue,
    ItemData,
    PartyData,
    PartyRole,
    TaxLineData,
)

from . import paths
from .namespaces import dec
from .parser import parse_xml
from .reader import _Mapper, locate_declaration
from .schema import MAX_ISSUES, ElementModel, declaration_model, schema_issues

FUNCTION_ORIGINAL = "9"
FUNCTION_REQUEST = "13"  # an additional message: amendment (COR) or cancellation (INV)
FUNCTION_CANCEL = "14"
TYPE_AMENDMENT = "COR"
TYPE_CANCELLATION = "INV"
# Pointers through more classes than this are refused (the deepest real path has 7).
MAX_POINTER_STEPS = 12
# Amendments (06A) per message: the schema allows 999; a real one has a few dozen.
MAX_AMENDMENTS = 999


@dataclass
class AdditionalMessage:
    """What a function code 13/14 message asks: which declaration, what, why."""

    kind: str  # "amendment" or "cancellation"
    mrn: str  # the declaration's ID (DE 2/5 of the additional message is its own reference)
    reference: str
    reason: str
    reason_code: str
    submitter: str
    element: etree._Element
    issues: list[Issue] = field(default_factory=list)


def message_function(body: bytes) -> str:
    """The message's FunctionCode (``9`` when absent): parses the hardened way, raises XmlRejected."""
    _envelope, declaration = locate_declaration(parse_xml(body))
    return (declaration.findtext(dec("FunctionCode")) or FUNCTION_ORIGINAL).strip()


def read_additional_message(body: bytes) -> AdditionalMessage:
    """Parse and schema-check a function code 13/14 message; issues say what is wrong and where."""
    envelope, declaration = locate_declaration(parse_xml(body))
    issues = schema_issues(envelope if envelope is not None else declaration)
    function = (declaration.findtext(dec("FunctionCode")) or "").strip()
    type_code = (declaration.findtext(dec("TypeCode")) or "").strip().upper()
    kind = ""
    if function == FUNCTION_REQUEST and type_code == TYPE_AMENDMENT:
        kind = "amendment"
    elif (function == FUNCTION_REQUEST and type_code == TYPE_CANCELLATION) or function == FUNCTION_CANCEL:
        kind = "cancellation"
    else:
        issues.append(
            Issue(
                "function_code_invalid",
                _(
                    "FunctionCode %(function)s with TypeCode %(type)s is not a message the portal takes: "
                    "9 lodges a declaration, 13 with COR amends one, 13 with INV (or 14) cancels one."
                )
                % {"function": function or "—", "type": type_code or "—"},
                field="function_code",
                pointer="42A FunctionCode",
            )
        )
    reasons = [
        " ".join((info.findtext(dec("StatementDescription")) or "").split())
        for info in declaration.findall(dec("AdditionalInformation"))
    ]
    reason_code = ""
    first = declaration.find(dec("Amendment"))
    if first is not None:
        reason_code = (first.findtext(dec("ChangeReasonCode")) or "").strip()
    submitter = declaration.find(dec("Submitter"))
    return AdditionalMessage(
        kind=kind,
        mrn=(declaration.findtext(dec("ID")) or "").strip(),
        reference=(declaration.findtext(dec("FunctionalReferenceID")) or "").strip(),
        reason="; ".join(r for r in reasons if r),
        reason_code=reason_code,
        submitter=(submitter.findtext(dec("ID")) or "").strip() if submitter is not None else "",
        element=declaration,
        issues=issues,
    )


# Reverse of the reader's paths: element names below Declaration → what they hold -----------------

Target = tuple[str, ...]  # ("header", field) | ("item", field) | ("party", role, field) | ("document", field)


def _strip(path: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(step for step in path if not step.startswith("@"))


def _targets() -> dict[tuple[str, ...], list[Target]]:
    table: dict[tuple[str, ...], list[Target]] = {}

    def add(path: tuple[str, ...], target: Target) -> None:
        table.setdefault(_strip(path), []).append(target)

    for name, path in paths.HEADER.items():
        add(path, ("header", name))
    for name, path in paths.ITEM_LEVEL_ALTERNATIVES.items():
        add((*paths.ITEM, *path), ("header", name))
    for name, path in paths.ITEM_FIELDS.items():
        add((*paths.ITEM, *path), ("item", name))
    add((*paths.ITEM, "GovernmentProcedure", "PreviousCode"), ("item", "procedure_code"))
    add((*paths.ITEM, "Commodity", "Classification", "IdentificationTypeCode"), ("item", "commodity_code"))
    for role, path in paths.PARTIES.items():
        for name, below in paths.PARTY_FIELDS.items():
            if below:
                add((*path, *below), ("party", role.value, name))
    # The consignor may also be given on the header consignment (as the reader takes it).
    for name, below in paths.PARTY_FIELDS.items():
        if below:
            add(("Consignment", "Consignor", *below), ("party", PartyRole.CONSIGNOR.value, name))
    return table


_TARGETS: dict[tuple[str, ...], list[Target]] = {}

# Document data elements (below AdditionalDocument or PreviousDocument) → canonical field.
_DOCUMENT_FIELDS = {
    "CategoryCode": "code",
    "TypeCode": "code",
    "ID": "reference",
    "LPCOExemptionCode": "status",
    "LineNumeric": "line",
    "WriteOff": "write_off",  # DE 2/3 writing-off: its quantity, unit, amount and currency together
}
_WRITE_OFF_FIELDS = ("write_off_quantity", "write_off_unit", "write_off_amount", "write_off_currency")
_LOCKED_HEADER = {"type_code", "additional_type", "function_code", "lrn"}
# Tax line data elements (below DutyTaxFee, attributes dropped) → the canonical fields they hold.
_TAX_LINE_FIELDS: dict[tuple[str, ...], list[str]] = {}
for _name, _path in paths.TAX_LINE_FIELDS.items():
    _TAX_LINE_FIELDS.setdefault(_strip(_path), []).append(_name)


@dataclass
class _Pointed:
    """One resolved Amendment: element names with positions, and whether it ends on a data element."""

    steps: list[tuple[str, int]]
    data_element: bool
    where: str  # how issues name it: 42A/06A[3]


class _Applier:
    def __init__(self, message: AdditionalMessage, current: DeclarationData) -> None:
        self.message = message
        self.new = copy.deepcopy(current)
        mapper = _Mapper(message.element)
        self.body = mapper.read()
        self.issues: list[Issue] = [i for i in mapper.reported() if i.severity == "error"]
        if not _TARGETS:
            _TARGETS.update(_targets())

    def problem(
        self, code: str, message: str, where: str, *, field: str = "", severity: str = "error"
    ) -> None:
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(Issue(code, message, field=field, pointer=where, severity=severity))

    # --- resolve -------------------------------------------------------------------------------

    def resolve(self, amendment: etree._Element, index: int) -> _Pointed | None:
        where = f"42A/06A[{index}]"
        pointers = amendment.findall(dec("Pointer"))
        if not pointers:
            self.problem(
                "amendment_pointer_missing", _("Amendment %(n)s points at nothing.") % {"n": index}, where
            )
            return None
        if len(pointers) > MAX_POINTER_STEPS:
            self.problem(
                "amendment_pointer_invalid", _("Amendment %(n)s has too many pointers.") % {"n": index}, where
            )
            return None
        node: ElementModel = declaration_model()
        steps: list[tuple[str, int]] = []
        data_element = False
        for number, pointer in enumerate(pointers, start=1):
            code = (pointer.findtext(dec("DocumentSectionCode")) or "").strip()
            sequence_text = (pointer.findtext(dec("SequenceNumeric")) or "1").strip()
            tag = (pointer.findtext(dec("TagID")) or "").strip()
            here = f"{where}/97A[{number}]"
            sequence = int(sequence_text) if sequence_text.isdigit() and len(sequence_text) <= 5 else 0
            if sequence < 1:
                self.problem(
                    "amendment_pointer_invalid",
                    _("Pointer %(n)s of amendment %(a)s has sequence number '%(seq)s'; it must be 1 or more.")
                    % {"n": number, "a": index, "seq": sequence_text},
                    here,
                )
                return None
            if number == 1:
                if code != "42A":
                    self.problem(
                        "amendment_pointer_invalid",
                        _("Amendment %(a)s must start at the declaration (42A), not at %(code)s.")
                        % {"a": index, "code": code or "—"},
                        here,
                    )
                    return None
            else:
                child = next((c for c in node.children.values() if c.is_class and c.wcoid == code), None)
                if child is None:
                    self.problem(
                        "amendment_pointer_invalid",
                        _("Amendment %(a)s: there is no class %(code)s within %(parent)s.")
                        % {"a": index, "code": code or "—", "parent": node.wcoid or node.name},
                        here,
                    )
                    return None
                steps.append((child.name, sequence if child.repeats else 1))
                node = child
            if tag:
                if number != len(pointers):
                    self.problem(
                        "amendment_pointer_invalid",
                        _("Amendment %(a)s: only its last pointer may name a data element (tag %(tag)s).")
                        % {"a": index, "tag": tag},
                        here,
                    )
                    return None
                element = next((c for c in node.children.values() if not c.is_class and c.wcoid == tag), None)
                if element is None:
                    self.problem(
                        "amendment_pointer_invalid",
                        _("Amendment %(a)s: %(parent)s has no data element with tag %(tag)s.")
                        % {"a": index, "parent": node.wcoid or node.name, "tag": tag},
                        here,
                    )
                    return None
                steps.append((element.name, 1))
                data_element = True
        return _Pointed(steps=steps, data_element=data_element, where=where)

    # --- apply ---------------------------------------------------------------------------------

    def apply(self) -> DeclarationData:
        amendments = self.message.element.findall(dec("Amendment"))
        if not amendments:
            self.problem(
                "amendment_pointer_missing",
                _("The amendment holds no Amendment (06A): nothing to change."),
                "42A/06A",
            )
        for index, amendment in enumerate(amendments[:MAX_AMENDMENTS], start=1):
            pointed = self.resolve(amendment, index)
            if pointed is not None:
                self.apply_one(pointed)
        return self.new

    def apply_one(self, pointed: _Pointed) -> None:
        names = tuple(name for name, _position in pointed.steps)
        positions = [position for _name, position in pointed.steps]
        if not names:
            self.problem(
                "amendment_not_supported",
                _("An amendment cannot replace the whole declaration; point at what changes."),
                pointed.where,
            )
            return
        item_depth = len(paths.ITEM)
        if names[:item_depth] == paths.ITEM:
            self.apply_item(pointed, names[item_depth:], positions[item_depth - 1], positions[item_depth:])
            return
        header_previous = (*paths.GOODS_SHIPMENT, "PreviousDocument")
        if names[0] == "AdditionalDocument" or names[:2] == header_previous:
            kind = DocumentKind.ADDITIONAL if names[0] == "AdditionalDocument" else DocumentKind.PREVIOUS
            depth = 1 if kind is DocumentKind.ADDITIONAL else 2
            self.apply_document(
                pointed,
                self.new.documents,
                self.body.documents,
                kind,
                positions[depth - 1],
                names[depth:],
                "documents",
            )
            return
        role = next((r for r, p in paths.PARTIES.items() if names[: len(p)] == p), None)
        if role is None and names[:2] == ("Consignment", "Consignor"):
            role = PartyRole.CONSIGNOR
        if (
            role is not None
            and not pointed.data_element
            and len(names) == len(paths.PARTIES.get(role, ("", "")))
        ):
            self.replace_party(role)
            return
        targets = _TARGETS.get(names) if pointed.data_element else None
        if not targets:
            self.not_recorded(pointed)
            return
        for target in targets:
            if target[0] == "header":
                self.set_header(target[1], pointed)
            elif target[0] == "party":
                self.set_party(PartyRole(target[1]), target[2])

    def not_recorded(self, pointed: _Pointed) -> None:
        self.problem(
            "amendment_not_recorded",
            _(
                "%(element)s is not data the portal records; this change is kept in the message as received "
                "but changes nothing in the declaration."
            )
            % {"element": "/".join(name for name, _p in pointed.steps)},
            pointed.where,
            severity="warning",
        )

    def set_header(self, name: str, pointed: _Pointed) -> None:
        if name in _LOCKED_HEADER:
            self.problem(
                "amendment_not_allowed",
                _("%(name)s identifies the declaration and cannot be amended.") % {"name": name},
                pointed.where,
                field=name,
            )
            return
        setattr(self.new, name, getattr(self.body, name))

    def set_party(self, role: PartyRole, name: str) -> None:
        value = getattr(self.body.party(role) or PartyData(role=role), name)
        party = self.new.party(role)
        if party is None:
            party = PartyData(role=role)
            self.new.parties.append(party)
            self.new.parties.sort(key=lambda p: list(PartyRole).index(p.role))
        setattr(party, name, value)

    def replace_party(self, role: PartyRole) -> None:
        self.new.parties = [p for p in self.new.parties if p.role != role]
        body = self.body.party(role)
        if body is not None:
            self.new.parties.append(copy.deepcopy(body))
            self.new.parties.sort(key=lambda p: list(PartyRole).index(p.role))

    def apply_item(
        self, pointed: _Pointed, below: tuple[str, ...], number: int, positions: list[int]
    ) -> None:
        item = next((i for i in self.new.items if i.sequence == number), None)
        body = next((i for i in self.body.items if i.sequence == number), None)
        field_path = f"items.{number}"
        if not below:  # the whole goods item: added, replaced or (absent from the body) removed
            if body is None and item is None:
                self.problem(
                    "amendment_target_missing",
                    _("There is no goods item %(n)s to remove.") % {"n": number},
                    pointed.where,
                    field=field_path,
                )
            elif body is None:
                self.new.items = [i for i in self.new.items if i.sequence != number]
            elif item is None:
                self.new.items.append(copy.deepcopy(body))
                self.new.items.sort(key=lambda i: i.sequence or 0)
            else:
                self.new.items[self.new.items.index(item)] = copy.deepcopy(body)
            return
        if item is None:
            self.problem(
                "amendment_target_missing",
                _(
                    "The declaration has no goods item %(n)s; an amendment can change only what exists, "
                    "or add a whole item."
                )
                % {"n": number},
                pointed.where,
                field=field_path,
            )
            return
        if body is None:
            self.problem(
                "amendment_value_missing",
                _(
                    "The amendment points at goods item %(n)s but gives no GovernmentAgencyGoodsItem "
                    "with SequenceNumeric %(n)s."
                )
                % {"n": number},
                pointed.where,
                field=field_path,
            )
            return
        if below[0] in ("AdditionalDocument", "PreviousDocument"):
            kind = DocumentKind.ADDITIONAL if below[0] == "AdditionalDocument" else DocumentKind.PREVIOUS
            self.apply_document(
                pointed,
                item.documents,
                body.documents,
                kind,
                positions[0],
                below[1:],
                f"{field_path}.documents",
            )
            return
        depth = len(paths.TAX_LINE)
        if below[:depth] == paths.TAX_LINE:
            self.apply_tax_line(pointed, item, body, positions[depth - 1], below[depth:], field_path)
            return
        if below[0] == "Packaging" and positions[0] != 1:
            self.problem(
                "amendment_not_supported",
                _("The portal records one packaging per goods item; packaging %(n)s cannot be amended.")
                % {"n": positions[0]},
                pointed.where,
                field=f"{field_path}.package_count",
            )
            return
        if below == ("SequenceNumeric",):
            self.problem(
                "amendment_not_allowed",
                _("A goods item's number cannot be amended."),
                pointed.where,
                field=f"{field_path}.sequence",
            )
            return
        targets = _TARGETS.get((*paths.ITEM, *below)) if pointed.data_element else None
        if not pointed.data_element:
            # A class of the item (Commodity, GoodsMeasure, Packaging, Origin…): every field below it.
            prefix = (*paths.ITEM, *below)
            targets = [t for path, ts in _TARGETS.items() if path[: len(prefix)] == prefix for t in ts]
            if paths.TAX_LINE[: len(below)] == below:  # the Commodity: its tax lines too
                item.tax_lines = copy.deepcopy(body.tax_lines)
        if not targets:
            self.not_recorded(pointed)
            return
        for target in targets:
            if target[0] == "header":
                self.set_header(target[1], pointed)
                continue
            name = target[1]
            if name in ("commodity_code", "taric_codes"):
                item.commodity_code, item.taric_codes = body.commodity_code, list(body.taric_codes)
            elif name in ("procedure_code", "additional_procedure_codes"):
                item.procedure_code = body.procedure_code
                item.additional_procedure_codes = list(body.additional_procedure_codes)
            elif name in ("quantity", "quantity_unit"):
                item.quantity, item.quantity_unit = body.quantity, body.quantity_unit
            elif name in ("value_amount", "value_currency"):
                item.value_amount, item.value_currency = body.value_amount, body.value_currency
            elif name in ("statistical_value", "statistical_currency"):
                item.statistical_value, item.statistical_currency = (
                    body.statistical_value,
                    body.statistical_currency,
                )
            else:
                setattr(item, name, getattr(body, name))

    def apply_tax_line(
        self,
        pointed: _Pointed,
        item: ItemData,
        body: ItemData,
        position: int,
        below: tuple[str, ...],
        field_prefix: str,
    ) -> None:
        """A tax line (the item's DutyTaxFee number ``position``), one of its data elements or the
        item's preference (DE 4/17, which sits in a DutyTaxFee).

        The body's tax lines are numbered as the reader reads them: a DutyTaxFee that carries only
        the preference is not counted.
        """
        if below == _strip(paths.PREFERENCE[len(paths.TAX_LINE) :]):
            item.preference = body.preference
            return
        lines = item.tax_lines
        new = body.tax_lines[position - 1] if position <= len(body.tax_lines) else None
        names: list[str] = []
        if below:
            names = [
                name
                for path, found in _TAX_LINE_FIELDS.items()
                if path[: len(below)] == below
                for name in found
            ]
            if not names:
                self.not_recorded(pointed)
                return
        if position > len(lines) + 1:
            self.problem(
                "amendment_target_missing",
                _(
                    "Tax line %(n)s does not exist (there are %(count)s); a new tax line takes the next "
                    "number, %(next)s."
                )
                % {"n": position, "count": len(lines), "next": len(lines) + 1},
                pointed.where,
                field=f"{field_prefix}.tax_lines",
            )
            return
        if new is None:
            if below:
                self.problem(
                    "amendment_value_missing",
                    _("The amendment points at tax line %(n)s but the message gives no such DutyTaxFee.")
                    % {"n": position},
                    pointed.where,
                    field=f"{field_prefix}.tax_lines.{position}",
                )
            elif position <= len(lines):
                del lines[position - 1]  # the whole tax line, absent from the body: removed
            return
        if position == len(lines) + 1:
            lines.append(copy.deepcopy(new) if not below else TaxLineData())
        if not below:
            lines[position - 1] = copy.deepcopy(new)
            return
        for name in names:
            setattr(lines[position - 1], name, getattr(new, name))

    def apply_document(
        self,
        pointed: _Pointed,
        documents: list[DocumentData],
        body_documents: list[DocumentData],
        kind: DocumentKind,
        position: int,
        below: tuple[str, ...],
        field_prefix: str,
    ) -> None:
        same = [d for d in documents if d.kind is kind]
        body_same = [d for d in body_documents if d.kind is kind]
        body = body_same[position - 1] if position <= len(body_same) else None
        if below and below[0] not in _DOCUMENT_FIELDS:
            self.not_recorded(pointed)
            return
        if position > len(same) + 1:
            self.problem(
                "amendment_target_missing",
                _(
                    "Document %(n)s does not exist (there are %(count)s); a new document takes the next "
                    "number, %(next)s."
                )
                % {"n": position, "count": len(same), "next": len(same) + 1},
                pointed.where,
                field=field_prefix,
            )
            return
        if body is None:
            if below:
                self.problem(
                    "amendment_value_missing",
                    _("The amendment points at document %(n)s but the message gives no such document.")
                    % {"n": position},
                    pointed.where,
                    field=f"{field_prefix}",
                )
            elif position <= len(same):
                documents.remove(same[position - 1])  # the whole document, absent: removed
            return
        if position == len(same) + 1:
            index = (
                documents.index(same[-1]) + 1
                if same
                else (0 if kind is DocumentKind.ADDITIONAL else len(documents))
            )
            documents.insert(index, copy.deepcopy(body))
            return
        target = same[position - 1]
        if not below:
            documents[documents.index(target)] = copy.deepcopy(body)
            return
        name = _DOCUMENT_FIELDS[below[0]]
        for field_name in _WRITE_OFF_FIELDS if name == "write_off" else (name,):
            setattr(target, field_name, getattr(body, field_name))


def apply_amendment(
    message: AdditionalMessage, current: DeclarationData
) -> tuple[DeclarationData, list[Issue]]:
    """The version the amendment makes of ``current``, and the issues (errors stop it)."""
    applier = _Applier(message, current)
    data = applier.apply()
    # The message's item count follows the items (DE 1/9), unless the amendment set it itself.
    if data.goods_item_quantity == current.goods_item_quantity and len(data.items) != len(current.items):
        data.goods_item_quantity = len(data.items)
    return data, applier.issues
