"""WCO class-code pointers: how errors name an element of a declaration.

A pointer is the path of WCO class codes to the element, then a space and the data element's tag:
``67A/68A[2]/23A/21A ID`` is the ID of the second goods item's commodity classification. Classes
that may repeat carry their 1-based position among same-named siblings (``68A[2]``), whether or
not the message has more than one. The class codes come from the ``<WCOID>`` annotations of the
DMS schema, not from a hand-written table.

Paths through the goods shipment start at ``67A``; every other header-level path starts with
``42A`` (``42A FunctionalReferenceID``, ``42A/56A ID``), so the header's own data elements and
classes are told apart from the shipment's at a glance.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from declarations.canonical import DeclarationData, DocumentKind, PartyRole

from . import paths
from .namespaces import DEC_NS
from .schema import ElementModel, declaration_model

DECLARATION_CODE = "42A"
GOODS_SHIPMENT_CODE = "67A"

Step = tuple[str, int]  # element name, 1-based position among same-named siblings


def pointer_for_steps(steps: Sequence[Step]) -> str:
    """The pointer for a path of (element name, position) steps below ``Declaration``.

    An attribute step (``@currencyID``) points at its element. Names the schema does not know
    (an unexpected element in a message) are kept as they are, so the pointer still leads there.
    """
    node: ElementModel | None = declaration_model()
    classes: list[str] = []
    data_element = ""
    steps = [s for s in steps if not s[0].startswith("@")]
    for index, (name, position) in enumerate(steps):
        child = node.children.get(name) if node is not None else None
        last = index == len(steps) - 1
        if child is None:
            if last:
                data_element = name
            else:
                classes.append(f"{name}[{position}]" if position > 1 else name)
            node = None
            continue
        if child.is_class:
            code = child.wcoid or name
            classes.append(f"{code}[{position}]" if child.repeats else code)
        else:
            data_element = name
        node = child
    if not classes:
        base = DECLARATION_CODE
    elif classes[0] == GOODS_SHIPMENT_CODE:
        base = "/".join(classes)
    else:
        base = "/".join([DECLARATION_CODE, *classes])
    return f"{base} {data_element}" if data_element else base


def pointer_for_element(element: etree._Element) -> str:
    """The pointer of an element of a parsed message (``67A/68A[1] SequenceNumeric``).

    Elements outside the Declaration (the ``md:MetaData`` envelope) have no WCO class; they are
    named by their path of element names (``MetaData/WCOTypeName``).
    """
    chain: list[etree._Element] = []
    current: etree._Element | None = element
    while current is not None and current.tag != f"{{{DEC_NS}}}Declaration":
        chain.append(current)
        current = current.getparent()
    if current is None:
        names = [etree.QName(e).localname for e in reversed(chain)]
        return "/".join(names)
    steps = [(etree.QName(e).localname, _position(e)) for e in reversed(chain)]
    pointer = pointer_for_steps(steps)
    if chain and not _known(steps) and len(element) and " " in pointer:
        # An unknown element with children reads better as a class than as a data element.
        pointer = pointer.replace(" ", "/", 1)
    return pointer


def _position(element: etree._Element) -> int:
    return 1 + sum(1 for s in element.itersiblings(preceding=True) if s.tag == element.tag)


def _known(steps: Sequence[Step]) -> bool:
    node: ElementModel | None = declaration_model()
    for name, _ in steps:
        node = node.children.get(name) if node is not None else None
    return node is not None


def _steps(path: Sequence[str], positions: dict[int, int] | None = None) -> list[Step]:
    positions = positions or {}
    return [(name, positions.get(i, 1)) for i, name in enumerate(path)]


def pointer_for_field(field: str, data: DeclarationData | None = None) -> str:
    """The pointer of the element the reader takes a canonical field from.

    ``field`` is a dotted canonical path (``lrn``, ``items.2.net_mass``, ``parties.importer.eori``,
    ``items.1.documents.3.code``, ``items.1.tax_lines.2.method_of_payment``); ``data`` tells
    document kinds and the direction apart where the element depends on them. Unknown fields give
    ``""``.
    """
    parts = field.split(".") if field else []
    if not parts:
        return ""
    head = parts[0]
    if field in ("items", "documents", "parties"):
        # The collection itself: the class without a position (``67A/68A``), or the declaration.
        return {"items": "67A/68A", "documents": "42A/02A", "parties": DECLARATION_CODE}[field]
    if head == "items":
        return _item_pointer(parts[1:], data)
    if head == "parties":
        return _party_pointer(parts[1:])
    if head == "documents":
        documents = data.documents if data is not None else None
        return _document_pointer(parts[1:], documents, paths.HEADER_DOCUMENTS, ())
    if head in paths.HEADER and len(parts) == 1:
        path = paths.HEADER[head]
        if head == "inland_transport_mode" and data is not None and data.type_code in ("EX", "CO"):
            path = (*paths.DEPARTURE, "ModeCode")
        return pointer_for_steps(_steps(path))
    return ""


def _item_pointer(parts: list[str], data: DeclarationData | None) -> str:
    item_path = paths.ITEM
    index = _int(parts[0])
    if index is None:
        return ""
    base = {len(item_path) - 1: index}
    if len(parts) == 1:
        return pointer_for_steps(_steps(item_path, base))
    name = parts[1]
    if name == "documents":
        item = data.items[index - 1] if data is not None and 0 < index <= len(data.items) else None
        return _document_pointer(
            parts[2:], item.documents if item else None, paths.ITEM_DOCUMENTS, item_path, base
        )
    if name == "tax_lines":
        return _tax_line_pointer(parts[2:], item_path, base)
    if name not in paths.ITEM_FIELDS:
        return ""
    path = (*item_path, *paths.ITEM_FIELDS[name])
    positions = dict(base)
    # Repeated classes inside the item: the writer puts the commodity code in the first
    # classification and the procedure in the first GovernmentProcedure; the lists follow.
    nth = _int(parts[2]) if len(parts) > 2 else None
    if name == "taric_codes":
        positions[len(item_path) + 1] = 1 + (nth or 1)
    elif name == "additional_procedure_codes":
        positions[len(item_path)] = 1 + (nth or 1)
    return pointer_for_steps(_steps(path, positions))


def _tax_line_pointer(parts: list[str], item_path: tuple[str, ...], base: dict[int, int]) -> str:
    """A tax line is the item's DutyTaxFee of its position, as the writer puts them (50A[2])."""
    path = (*item_path, *paths.TAX_LINE)
    if not parts:  # all the item's tax lines: the class without a position
        return pointer_for_steps(_steps(path, base)).removesuffix("[1]")
    index = _int(parts[0])
    if index is None:
        return ""
    positions = {**base, len(path) - 1: index}
    if len(parts) > 1:
        if parts[1] not in paths.TAX_LINE_FIELDS:
            return ""
        path = (*path, *paths.TAX_LINE_FIELDS[parts[1]])
    return pointer_for_steps(_steps(path, positions))


def _party_pointer(parts: list[str]) -> str:
    if not parts:
        return ""
    try:
        role = PartyRole(parts[0])
    except ValueError:
        return ""
    path = paths.PARTIES[role]
    if len(parts) > 1:
        if parts[1] not in paths.PARTY_FIELDS:
            return ""
        path = (*path, *paths.PARTY_FIELDS[parts[1]])
    return pointer_for_steps(_steps(path))


def _document_pointer(
    parts: list[str],
    documents: list | None,
    places: dict[DocumentKind, tuple[str, ...]],
    prefix: tuple[str, ...],
    prefix_positions: dict[int, int] | None = None,
) -> str:
    if not parts:  # all documents of an item
        return pointer_for_steps(_steps((*prefix, *places[DocumentKind.ADDITIONAL]), prefix_positions))[:-3]
    index = _int(parts[0])
    if index is None:
        return ""
    kind, position = DocumentKind.ADDITIONAL, index
    if documents is not None and 0 < index <= len(documents):
        kind = documents[index - 1].kind
        position = sum(1 for d in documents[:index] if d.kind == kind)
    path = (*prefix, *places[kind])
    positions = dict(prefix_positions or {})
    positions[len(path) - 1] = position
    if len(parts) > 1:
        if parts[1] not in paths.DOCUMENT_FIELDS:
            return ""
        path = (*path, *paths.DOCUMENT_FIELDS[parts[1]])
    return pointer_for_steps(_steps(path, positions))


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None
