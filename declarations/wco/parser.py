"""The one hardened lxml parser for XML that arrives from outside (API bodies, uploads, files).

Architecture §6: no network, no DTD, no entity resolution, any DOCTYPE or entity rejected, a size
cap before parsing. The cheap byte checks run first so that billion-laughs and XXE payloads are
refused without ever reaching libxml2; the parser options and the post-parse checks are a second
line of defence should a payload slip past the byte scan (for example through an odd encoding).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from django.conf import settings
from django.utils.translation import gettext as _
from lxml import etree

from declarations.canonical import Issue
from singlewindow.errors import DomainError

from .namespaces import DEC_NS, MD_NS, WCO_DECLARATION_NAMESPACES

# Deep enough for any DMS declaration (the deepest real path is about 10 levels below the
# envelope), shallow enough that recursive code downstream can never be driven into the ground.
MAX_DEPTH = 64

_DOCTYPE = re.compile(rb"<!\s*DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_LXML_POSITION = re.compile(r",\s*line \d+, column \d+\s*$")
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


class XmlRejected(DomainError):
    """The body is not XML this portal will read; nothing about it was interpreted.

    ``issues`` holds one ``Issue`` (code and message) so callers can treat parse failures like any
    other list of problems.
    """

    def __init__(self, code: str, message: str, *, status: int = 400) -> None:
        self.issues = [Issue(code=code, message=message)]
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
    """Refuse entity references left in the tree and nesting deeper than ``MAX_DEPTH``.

    Iterative, so that the check itself cannot overflow the stack on the documents it guards
    against.
    """
    stack: list[tuple[etree._Element, int]] = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise XmlRejected("too_deep", _too_deep())
        for child in element:
            if isinstance(child, etree._Entity):
                raise XmlRejected(
                    "entity",
                    _("The XML refers to the entity %(entity)s; entities are not accepted.")
                    % {"entity": child.text},
                )
            if isinstance(child.tag, str):
                stack.append((child, depth + 1))


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
