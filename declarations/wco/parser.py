"""The one hardened lxml parser for XML that arrives from outside (API bodies, uploads, files).

Architecture §6: no network, no DTD, no entity resolution, any DOCTYPE or entity rejected, a size
cap before parsing. The cheap byte checks run first so that billion-laughs and XXE payloads are
refused without ever reaching libxml2; the parser options and the post-parse checks are a second
line of defence should a payload slip past the byte scan (for example through an odd encoding).
Caps on elements, attributes and siblings, on the bytes and then on the tree, bound the work any
later stage can be made to do.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import cast

from django.conf import settings
from django.utils.translation import gettext as _
from lxml import etree

from declarations.canonical import Issue
from singlewindow.errors import DomainError

from .namespaces import DEC_NS, MD_NS, WCO_DECLARATION_NAMESPACES
from .pointers import pointer_for_element

# Deep enough for any DMS declaration (the deepest real path is about 10 levels below the
# envelope), shallow enough that recursive code downstream can never be driven into the ground.
MAX_DEPTH = 64

# Structural caps, checked before any schema work. libxml2's validator spends a few microseconds
# on every error it finds and walks the preceding siblings for each one's path, so the work a
# message can cause grows with its elements, attributes and siblings: uncapped, one 2 MB message of
# 200,000 attributes kept a worker busy for minutes. The largest real message beside the project
# has 830 elements, 14 attributes, 5 of them on one element, and 32 siblings of one name; a full
# declaration of 999 goods items stays inside every cap.
MAX_ELEMENTS = 100_000
MAX_ATTRIBUTES = 30_000  # in the whole message, namespace declarations aside
MAX_ELEMENT_ATTRIBUTES = 32  # on one element
MAX_CHILDREN = 2_000  # child elements of one element: a goods shipment's 999 items and its classes
# Children of one name below one element: the schema's bounded repeats (GovernmentAgencyGoodsItem,
# ConsignmentItem) allow 999, and 999 of anything is far beyond a real message.
MAX_REPEATS = 999
# Counted on the raw bytes (a millisecond for 5 MB) so that a body of a million empty elements or
# attributes is refused without being parsed (a quarter of a second): every tag has one "<" (an
# element one or two), every attribute one "=". Text and comments may hold some too, hence the slack.
MAX_TAGS = 5 * MAX_ELEMENTS // 2
MAX_EQUALS = 3 * MAX_ATTRIBUTES

_DOCTYPE = re.compile(rb"<!\s*DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_LXML_POSITION = re.compile(r",\s*line \d+, column \d+\s*$")
# True when an element sits deeper than MAX_DEPTH (the root element is at depth 1).
_DEEPER_THAN_MAX = "boolean(" + "/*" * (MAX_DEPTH + 1) + ")"
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
# Compressed archives (zip, gzip, 7-Zip, RAR, bzip2, xz) are named as such and never unpacked: a
# message is one XML document, and an archive could hold a bomb.
_ARCHIVES = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"\x1f\x8b",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"BZh",
    b"\xfd7zXZ\x00",
)
# A start tag with more "=" than one element may have attributes. Possessive quantifiers and
# segments that cannot overlap keep the scan linear whatever the input.
_CROWDED_TAG = re.compile(rb"<([^\s<>/!?=]++)(?:[^<>=]*+=){%d}" % (MAX_ELEMENT_ATTRIBUTES + 1))


class XmlRejected(DomainError):
    """The body is not XML this portal will read; nothing about it was interpreted.

    ``issues`` holds one ``Issue`` (code, message and, where one element is at fault, its pointer)
    so callers can treat parse failures like any other list of problems.
    """

    def __init__(self, code: str, message: str, *, status: int = 400, pointer: str = "") -> None:
        self.issues = [Issue(code=code, message=message, pointer=pointer)]
        super().__init__(code, message, errors=[i.as_dict() for i in self.issues], status=status)


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parser objects keep state and must not be shared between
    # threads. Every option that could reach outside the document is off.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )


def parse_xml(
    body: bytes, *, expected_namespaces: Collection[str] | None = WCO_DECLARATION_NAMESPACES
) -> etree._Element:
    """Parse untrusted XML and return its root element, or raise ``XmlRejected`` saying why.

    ``expected_namespaces``: at least one element of the document (the root or one inside a
    further request envelope) must be in one of these namespaces; ``None`` skips the check.
    """
    limit = int(getattr(settings, "SW_MAX_XML_BYTES", 5 * 1024 * 1024))
    if len(body) > limit:
        raise XmlRejected(
            "too_large",
            _("The XML body is %(size)s bytes; the limit is %(limit)s bytes.")
            % {"size": f"{len(body):,}", "limit": f"{limit:,}"},
            status=413,
        )
    if not body.strip():
        raise XmlRejected("empty", _("The body is empty; a WCO declaration in XML was expected."))
    if body.startswith(_ARCHIVES):
        raise XmlRejected(
            "archive",
            _("This is a compressed archive, not an XML document: send each declaration as an XML file."),
        )
    if body.startswith(_UTF16_32_BOMS) or b"\x00" in body[:1024]:
        # The byte scans below only work on ASCII-compatible encodings; DMS messages are UTF-8.
        raise XmlRejected("unsupported_encoding", _("The XML must be encoded in UTF-8."))
    if _DOCTYPE.search(body):
        raise XmlRejected(
            "doctype",
            _("The XML contains a DOCTYPE declaration; document type definitions are not accepted."),
        )
    if _ENTITY.search(body):
        raise XmlRejected("entity", _("The XML declares an entity; entity declarations are not accepted."))
    _check_counts(body)

    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise _syntax_rejection(exc) from None
    if root is None:  # pragma: no cover - lxml raises on an empty document; kept for the type checker
        raise XmlRejected("empty", _("The body holds no XML element."))

    if getattr(root.getroottree().docinfo, "doctype", ""):  # lxml-stubs lack doctype
        raise XmlRejected(
            "doctype",
            _("The XML contains a DOCTYPE declaration; document type definitions are not accepted."),
        )
    _check_tree(root)
    if expected_namespaces is not None:
        _check_namespace(root, expected_namespaces)
    return root


def _check_counts(body: bytes) -> None:
    """Upper bounds on the elements and attributes of the raw bytes, before anything is parsed."""
    tags = body.count(b"<")
    if tags > MAX_TAGS:
        raise XmlRejected(
            "too_many_elements",
            _(
                "The XML has %(count)s tags; at most %(limit)s are accepted (a message holds at most "
                "%(elements)s elements)."
            )
            % {"count": f"{tags:,}", "limit": f"{MAX_TAGS:,}", "elements": f"{MAX_ELEMENTS:,}"},
        )
    equals = body.count(b"=")
    if equals > MAX_EQUALS:
        crowded = _CROWDED_TAG.search(body)
        if crowded is not None:
            message = _(
                "%(element)s (line %(line)s) has more than %(limit)s attributes; at most %(limit)s are "
                "accepted on one element."
            ) % {
                "element": crowded.group(1).decode("utf-8", errors="replace").rpartition(":")[2][:80],
                "line": body.count(b"\n", 0, crowded.start()) + 1,
                "limit": MAX_ELEMENT_ATTRIBUTES,
            }
        else:
            message = _(
                "The XML has %(count)s '=' signs; at most %(limit)s are accepted (a message holds at "
                "most %(attributes)s attributes)."
            ) % {"count": f"{equals:,}", "limit": f"{MAX_EQUALS:,}", "attributes": f"{MAX_ATTRIBUTES:,}"}
        raise XmlRejected("too_many_attributes", message)


def _syntax_rejection(exc: etree.XMLSyntaxError) -> XmlRejected:
    msg = _LXML_POSITION.sub("", str(exc.msg or exc)).strip()
    msg = " ".join(msg.split())  # lxml quotes comment text across lines
    if len(msg) > 160:
        msg = msg[:157] + "..."
    if "Excessive depth" in msg:
        return XmlRejected("too_deep", _too_deep())
    line, column = exc.position if exc.position else (exc.lineno, 0)
    if "entity" in msg.lower():
        # libxml2's own guards (undefined entity, amplification limit) fire here when an entity
        # slipped past the byte scan; the answer is the same as for a declared one.
        return XmlRejected(
            "entity",
            _("The XML uses entities, which are not accepted: %(error)s (line %(line)s, column %(column)s).")
            % {"error": msg, "line": line, "column": column},
        )
    message = _("The XML is not well-formed: %(error)s (line %(line)s, column %(column)s).") % {
        "error": msg,
        "line": line,
        "column": column,
    }
    if "comment" in msg.lower() and ("--" in msg or "double hyphen" in msg.lower()):
        # libxml2 reports the next '<!--' it meets inside an unclosed comment as a double hyphen.
        message += " " + _(
            "A comment must not contain '--': a comment before this point may be missing its closing '-->'."
        )
    return XmlRejected("not_well_formed", message)


def _too_deep() -> str:
    return _("The XML is nested too deeply (more than %(depth)s levels).") % {"depth": MAX_DEPTH}


def _check_tree(root: etree._Element) -> None:
    """Refuse a tree beyond the structural caps: nesting deeper than ``MAX_DEPTH``, entity
    references left in it, more elements or attributes than a message may hold, and an element
    with too many attributes, children or children of one name.

    The whole-tree checks run inside libxml2 (XPath, an iterator filtered by node type) and the
    per-element ones in one flat pass: nothing the documents it guards against could drive into
    deep recursion, and about 20 ms for a message of 100,000 elements.
    """
    if _count(root, "count(//*)") > MAX_ELEMENTS:
        raise XmlRejected(
            "too_many_elements",
            _("The XML has more than %(limit)s elements; at most %(limit)s are accepted.")
            % {"limit": f"{MAX_ELEMENTS:,}"},
        )
    if root.xpath(_DEEPER_THAN_MAX):
        raise XmlRejected("too_deep", _too_deep())
    entity = next(root.iter(etree.Entity), None)
    if entity is not None:
        raise XmlRejected(
            "entity",
            _("The XML refers to the entity %(entity)s; entities are not accepted.")
            % {"entity": entity.text},
        )
    if _count(root, "count(//@*)") > MAX_ATTRIBUTES:
        raise XmlRejected(
            "too_many_attributes",
            _("The XML has more than %(limit)s attributes; at most %(limit)s are accepted.")
            % {"limit": f"{MAX_ATTRIBUTES:,}"},
        )
    for element in root.iter(etree.Element):
        count = len(element.attrib)
        if count > MAX_ELEMENT_ATTRIBUTES:
            raise XmlRejected(
                "too_many_attributes",
                _("%(element)s has %(count)s attributes; at most %(limit)s are accepted on one element.")
                % {
                    "element": etree.QName(element).localname,
                    "count": f"{count:,}",
                    "limit": MAX_ELEMENT_ATTRIBUTES,
                },
                pointer=pointer_for_element(element),
            )
        if len(element) > MAX_REPEATS:
            _check_children(element)


def _count(root: etree._Element, expression: str) -> int:
    return int(cast(float, root.xpath(expression)))  # XPath count() is a number


def _check_children(parent: etree._Element) -> None:
    """Refuse more than ``MAX_REPEATS`` children of one name (pointing at the first one too many)
    or more than ``MAX_CHILDREN`` in all."""
    seen: dict[str, int] = {}
    children = 0
    for child in parent:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions
        children += 1
        repeats = seen[child.tag] = seen.get(child.tag, 0) + 1
        if repeats > MAX_REPEATS:
            raise XmlRejected(
                "too_many_repeats",
                _("%(parent)s holds %(count)s %(element)s elements; at most %(limit)s are accepted.")
                % {
                    "parent": etree.QName(parent).localname,
                    "count": f"{sum(1 for _child in parent.iterchildren(child.tag)):,}",
                    "element": etree.QName(child).localname,
                    "limit": MAX_REPEATS,
                },
                pointer=pointer_for_element(child),
            )
    if children > MAX_CHILDREN:
        raise XmlRejected(
            "too_many_children",
            _("%(element)s holds %(count)s child elements; at most %(limit)s are accepted.")
            % {
                "element": etree.QName(parent).localname,
                "count": f"{children:,}",
                "limit": f"{MAX_CHILDREN:,}",
            },
            pointer=pointer_for_element(parent),
        )


def _check_namespace(root: etree._Element, expected: Collection[str]) -> None:
    if etree.QName(root).namespace in expected:
        return
    for element in root.iter():
        if isinstance(element.tag, str) and etree.QName(element).namespace in expected:
            return  # wrapped in a further request envelope; the reader finds it
    qname = etree.QName(root)
    values = {"name": qname.localname, "namespace": qname.namespace, "md_ns": MD_NS, "dec_ns": DEC_NS}
    if qname.namespace:
        message = (
            _(
                "The root element is '%(name)s' in namespace '%(namespace)s'; expected a WCO declaration: "
                "'MetaData' in '%(md_ns)s' or 'Declaration' in '%(dec_ns)s'."
            )
            % values
        )
    else:
        message = (
            _(
                "The root element is '%(name)s' with no namespace; expected a WCO declaration: "
                "'MetaData' in '%(md_ns)s' or 'Declaration' in '%(dec_ns)s'."
            )
            % values
        )
    if qname.namespace and _squashed(qname.namespace) in {_squashed(ns) for ns in expected}:
        message += " " + _("The names look stripped of their ':' and '_' characters.")
    raise XmlRejected("wrong_namespace", message)


def _squashed(namespace: str) -> str:
    return namespace.replace(":", "").replace("_", "")
