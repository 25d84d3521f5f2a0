"""The containers (transport equipment) a WCO declaration names: DE 7/10 and their seals, DE 7/18.

The canonical model keeps only the container indicator (DE 7/2, ``DeclarationData.container``);
the equipment itself is read here from the message the declaration came in, for the documents that
list it (the release note, the gate's verification page). A declaration lodged as JSON or through
the form has no equipment to read: the list is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from .parser import XmlRejected, parse_xml


@dataclass(frozen=True)
class Equipment:
    """One container: its identification number (DE 7/10) and seal numbers (DE 7/18)."""

    id: str
    seals: list[str] = field(default_factory=list)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str) and _local(c) == name]


def transport_equipment(body: str | bytes) -> list[Equipment]:
    """The containers of a declaration message, header (Consignment) and item (Commodity) level,
    each once, in the order declared. A message that does not parse names none."""
    raw = body.encode() if isinstance(body, str) else body
    try:
        root = parse_xml(raw, expected_namespaces=None)
    except XmlRejected:
        return []
    found: dict[str, Equipment] = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or _local(element) != "TransportEquipment":
            continue
        ids = [(c.text or "").strip() for c in _children(element, "ID")]
        if not ids or not ids[0]:
            continue
        seals = [
            (seal_id.text or "").strip()
            for seal in _children(element, "Seal")
            for seal_id in _children(seal, "ID")
            if (seal_id.text or "").strip()
        ]
        found.setdefault(ids[0], Equipment(id=ids[0], seals=seals))
    return list(found.values())
