"""Versions of a declaration's content and the difference between two of them.

A version's content is the canonical form as JSON (``DeclarationData.to_dict()``); ``data_from_dict``
gives the dataclasses back. ``diff`` compares two versions field by field over canonical paths:
goods items are matched by their item number (DE 1/6), parties by role, documents by position, so
a changed net mass reads ``items.1.net_mass: 59 → 62``, an added document
``items.1.documents.4.code: — → 9WKS`` and a changed method of payment
``items.1.tax_lines.2.method_of_payment: E → R``; labels come from the field catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from .canonical import (
    DeclarationData,
    DocumentData,
    DocumentKind,
    ItemData,
    PartyData,
    PartyRole,
    TaxLineData,
)

# A difference longer than this is cut for display and the audit event (the versions keep it all).
DIFF_DISPLAY_LIMIT = 500


def data_from_dict(raw: dict[str, Any]) -> DeclarationData:
    """The canonical dataclasses from their JSON form (decimals were written as strings)."""
    header = {k: v for k, v in raw.items() if k not in {"parties", "documents", "items"}}
    for name in ("invoice_amount", "exchange_rate", "freight_amount"):
        header[name] = _decimal(header.get(name))
    return DeclarationData(
        **header,
        parties=[PartyData(**{**p, "role": PartyRole(p["role"])}) for p in raw.get("parties", [])],
        documents=[_document(d) for d in raw.get("documents", [])],
        items=[_item(i) for i in raw.get("items", [])],
    )


_ITEM_DECIMALS = ("quantity", "net_mass", "gross_mass", "value_amount", "statistical_value")


_TAX_LINE_DECIMALS = ("base_quantity", "base_amount", "rate", "assessed_amount", "payable_amount")


def _item(raw: dict[str, Any]) -> ItemData:
    values = {k: v for k, v in raw.items() if k not in {"documents", "tax_lines"}}
    for name in _ITEM_DECIMALS:
        values[name] = _decimal(values.get(name))
    values["taric_codes"] = list(values.get("taric_codes") or [])
    values["additional_procedure_codes"] = list(values.get("additional_procedure_codes") or [])
    return ItemData(
        **values,
        documents=[_document(d) for d in raw.get("documents", [])],
        tax_lines=[_tax_line(t) for t in raw.get("tax_lines", [])],
    )


def _tax_line(raw: dict[str, Any]) -> TaxLineData:
    values = dict(raw)
    for name in _TAX_LINE_DECIMALS:
        values[name] = _decimal(values.get(name))
    return TaxLineData(**values)


def _document(raw: dict[str, Any]) -> DocumentData:
    values = {**raw, "kind": DocumentKind(raw["kind"])}
    for name in _DOCUMENT_DECIMALS:  # absent from versions stored before writing-off was kept
        values[name] = _decimal(values.get(name))
    return DocumentData(**values)


_DOCUMENT_DECIMALS = ("write_off_quantity", "write_off_amount")


def _decimal(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


@dataclass(frozen=True)
class Change:
    """One data element that differs between two versions (``before``/``after`` as displayed)."""

    path: str
    label: str
    before: str
    after: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "label": self.label, "before": self.before, "after": self.after}


def flatten(data: dict[str, Any]) -> dict[str, Any]:
    """Canonical path → value for every data element of a version (items keyed by item number)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "parties":
            for party in value:
                for name, v in party.items():
                    if name != "role":
                        out[f"parties.{party['role']}.{name}"] = v
        elif key == "documents":
            _flatten_documents(out, "documents", value)
        elif key == "items":
            for position, item in enumerate(value, start=1):
                number = item.get("sequence") or position
                for name, v in item.items():
                    if name == "documents":
                        _flatten_documents(out, f"items.{number}.documents", v)
                    elif name == "tax_lines":
                        _flatten_documents(out, f"items.{number}.tax_lines", v)
                    elif name != "sequence":
                        out[f"items.{number}.{name}"] = v
        else:
            out[key] = value
    return out


def _flatten_documents(out: dict[str, Any], prefix: str, documents: list[dict[str, Any]]) -> None:
    """Records of a list (documents, an item's tax lines) by position: ``items.1.tax_lines.2.rate``."""
    for position, document in enumerate(documents, start=1):
        for name, v in document.items():
            out[f"{prefix}.{position}.{name}"] = v


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Every data element whose value differs, in canonical order; empty values count as absent."""
    old, new = flatten(before), flatten(after)
    changes = []
    for path in _ordered(list(old) + [p for p in new if p not in old]):
        a, b = _shown(old.get(path)), _shown(new.get(path))
        if a != b:
            changes.append(Change(path=path, label=label_for(path), before=a, after=b))
    return changes


def _ordered(paths: list[str]) -> list[str]:
    def key(path: str) -> tuple[Any, ...]:
        parts = path.split(".")
        return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts[:-1]) + ((2, 0, ""),)

    # Header first (in canonical order), then parties, documents, items by number; stable within.
    groups = {"parties": 1, "documents": 2, "items": 3}
    return sorted(paths, key=lambda p: (groups.get(p.split(".")[0], 0), key(p)))


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def changed_items(changes: list[Change], before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Which goods items (by number) were added, removed or changed, and whether the header was."""
    old = {i.get("sequence") or n: i for n, i in enumerate(before.get("items", []), start=1)}
    new = {i.get("sequence") or n: i for n, i in enumerate(after.get("items", []), start=1)}
    touched = {int(c.path.split(".")[1]) for c in changes if c.path.startswith("items.")}
    return {
        "added_items": sorted(set(new) - set(old)),
        "removed_items": sorted(set(old) - set(new)),
        "changed_items": sorted(n for n in touched if n in old and n in new),
        "header_changed": any(not c.path.startswith("items.") for c in changes),
    }


def label_for(path: str) -> str:
    """A person's name for a canonical path ("Goods item 2, net mass"), from the field catalogue."""
    from .catalogue import label_for as catalogue_label

    return str(catalogue_label(path))
