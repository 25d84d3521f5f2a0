"""XML namespaces of the DMS declaration messages, in one place so every module agrees."""

from __future__ import annotations

# The goods declaration itself (WCO_DEC_2_DMS.xsd).
DEC_NS = "urn:wco:datamodel:WCO:DEC-DMS:2"
# The ``md:MetaData`` envelope (DocumentMetaData_2_DMS.xsd).
MD_NS = "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"
# The notification/response messages: a WCO message, but not a declaration.
RES_NS = "urn:wco:datamodel:WCO:RES-DMS:2"

WCO_DECLARATION_NAMESPACES = frozenset({DEC_NS, MD_NS})


def dec(local: str) -> str:
    """Clark notation for an element of the declaration namespace (``{urn…DEC-DMS:2}TypeCode``)."""
    return f"{{{DEC_NS}}}{local}"


def md(local: str) -> str:
    return f"{{{MD_NS}}}{local}"
