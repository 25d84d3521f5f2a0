"""The DMS schemas: validation of messages and the element model that pointers and the writer use.

The schemas are read from the shared data beside the project (never copied into it) and loaded
once per process: compiling them takes tens of milliseconds and the compiled schema is immutable,
so one instance serves every thread. lxml's validators are not documented as thread-safe, so
validation itself runs under a lock (it is quick; the schema build is the expensive part).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from lxml import etree

from declarations.canonical import Issue

from .namespaces import DEC_NS, MD_NS

XS = "http://www.w3.org/2001/XMLSchema"
_XS = f"{{{XS}}}"

_lock = threading.RLock()

# Each stage reports at most this many problems, then one ``too_many_errors`` issue saying how many
# more there were: the first hundred are enough to correct a message, and describing 200,000 of
# them took minutes and a 24 MB answer.
MAX_ISSUES = 100


def schema_dir() -> Path:
    """The folder holding WCO_DEC_2_DMS.xsd and DocumentMetaData_2_DMS.xsd.

    ``settings.SW_WCO_SCHEMA_DIR`` overrides the default under ``SHARED_DATA_DIR``.
    """
    override = getattr(settings, "SW_WCO_SCHEMA_DIR", None)
    if override:
        return Path(override)
    return Path(settings.SHARED_DATA_DIR) / "wco-dms" / "schemas" / "declaration"


def _schema_parser() -> etree.XMLParser:
    # The schemas are trusted local files, but there is still no reason to let them reach the
    # network; local imports (relative schemaLocation) must keep working.
    return etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)


@cache
def _compiled_schema() -> etree.XMLSchema:
    """One schema that knows both the envelope and the declaration namespaces.

    The envelope's ``xs:any processContents="strict"`` only validates the inner Declaration if the
    declaration schema is loaded too, hence the small wrapper that imports both by absolute URI.
    """
    base = schema_dir()
    wrapper = (
        f'<xs:schema xmlns:xs="{XS}" targetNamespace="urn:singlewindow:wco-wrapper" '
        'elementFormDefault="qualified">'
        f'<xs:import namespace="{DEC_NS}" schemaLocation="{(base / "WCO_DEC_2_DMS.xsd").as_uri()}"/>'
        f'<xs:import namespace="{MD_NS}" schemaLocation="{(base / "DocumentMetaData_2_DMS.xsd").as_uri()}"/>'
        "</xs:schema>"
    )
    document = etree.fromstring(wrapper.encode(), _schema_parser(), base_url=base.as_uri() + "/")
    return etree.XMLSchema(document)


def compiled_schema() -> etree.XMLSchema:
    with _lock:
        return _compiled_schema()


def schema_issues(element: etree._Element) -> list[Issue]:
    """Validate a ``md:MetaData`` or ``Declaration`` element; one ``Issue`` per schema error.

    Each issue has code ``schema``, the WCO pointer of the offending element and a message that
    names the element, what is wrong and the value, without lxml's ``{namespace}`` noise. Only the
    first ``MAX_ISSUES`` errors are described; a last ``too_many_errors`` issue counts the rest.
    """
    schema = compiled_schema()
    with _lock:
        valid = schema.validate(element)
        errors = list(schema.error_log)  # type: ignore[call-overload]  # lxml-stubs: not iterable
    if valid:
        return []
    tree = _ErrorTree(element)
    issues = []
    for error in errors[:MAX_ISSUES]:
        target = tree.resolve(error.path)
        pointer = tree.pointer(target) if target is not None else ""
        issues.append(Issue(code="schema", message=_human_message(error.message, target), pointer=pointer))
    if len(errors) > MAX_ISSUES:
        issues.append(too_many_errors(len(errors) - MAX_ISSUES))
    return issues


def too_many_errors(more: int) -> Issue:
    """The issue that ends a list cut at ``MAX_ISSUES``: how many more there were."""
    return Issue(
        code="too_many_errors",
        message=ngettext(
            "%(count)s more error is not listed; only the first %(limit)s are reported.",
            "%(count)s more errors are not listed; only the first %(limit)s are reported.",
            more,
        )
        % {"count": f"{more:,}", "limit": MAX_ISSUES},
    )


_STEP = re.compile(r"(?:[\w.-]+:)?([\w.*-]+)(?:\[(\d+)\])?")


class _ErrorTree:
    """Finds the elements lxml's error paths name and their pointers, in O(depth) per error.

    A message may hold hundreds of siblings (999 goods items); rebuilding a sibling list or
    counting preceding siblings for every error made thousands of errors cost minutes. Children
    and positions are listed once per parent, the first time an error needs them.
    """

    def __init__(self, start: etree._Element) -> None:
        self.start = start
        self._children: dict[tuple[etree._Element, str], list[etree._Element]] = {}
        self._positions: dict[etree._Element, int] = {}

    def children(self, parent: etree._Element, name: str) -> list[etree._Element]:
        """``parent``'s child elements called ``name`` (local name; ``*``: all), in order."""
        key = (parent, name)
        if key not in self._children:
            self._children[key] = [
                c
                for c in parent
                if isinstance(c.tag, str) and (name == "*" or etree.QName(c).localname == name)
            ]
        return self._children[key]

    def position(self, element: etree._Element) -> int:
        """1-based position among the siblings with the same tag."""
        if element not in self._positions:
            parent = element.getparent()
            if parent is None:
                return 1
            seen: dict[str, int] = {}
            for child in self.children(parent, "*"):
                seen[child.tag] = self._positions[child] = seen.get(child.tag, 0) + 1
        return self._positions[element]

    def resolve(self, path: str | None) -> etree._Element | None:
        """Follow lxml's error path (``/md:MetaData/*[6]/*[2]``, relative to ``start``) to the element."""
        if not path:
            return None
        steps = [s for s in path.split("/") if s]
        current = self.start
        for step in steps[1:]:
            match = _STEP.fullmatch(step)
            if match is None:
                return current
            name, index = match.group(1), int(match.group(2) or 1)
            children = self.children(current, name)
            if len(children) < index:
                return current
            current = children[index - 1]
        return current

    def pointer(self, element: etree._Element) -> str:
        """``pointers.pointer_for_element``, with the positions from this index."""
        from .pointers import pointer_for_steps

        chain: list[etree._Element] = []
        current: etree._Element | None = element
        while current is not None and current.tag != f"{{{DEC_NS}}}Declaration":
            chain.append(current)
            current = current.getparent()
        if current is None:
            return "/".join(etree.QName(e).localname for e in reversed(chain))
        steps = [(etree.QName(e).localname, self.position(e)) for e in reversed(chain)]
        pointer = pointer_for_steps(steps)
        if chain and not _known(steps) and len(element) and " " in pointer:
            # An unknown element with children reads better as a class than as a data element.
            pointer = pointer.replace(" ", "/", 1)
        return pointer


def _known(steps: list[tuple[str, int]]) -> bool:
    node: ElementModel | None = declaration_model()
    for name, _position in steps:
        node = node.children.get(name) if node is not None else None
    return node is not None


# ``{urn:…}Name``: namespace URIs have a scheme and no spaces or quotes, unlike the value sets
# (``{'0', '1'}``) and pattern quantifiers (``[A-Z]{3}``) in the same messages.
_NS_NOISE = re.compile(r"\{[^}\s':]+:[^}\s']*\}")
_SUBJECT = re.compile(r"^Element '([^']+)'(?:, attribute '([^']+)')?: (.*)$", re.DOTALL)
_LAST_NUMBER = re.compile(r"'(\d+)'\)?\.?$")


def _human_message(raw: str, element: etree._Element | None) -> str:
    """Turn an lxml schema message into a sentence that names the element and shows the value."""
    text = " ".join(_NS_NOISE.sub("", raw).split())
    match = _SUBJECT.match(text)
    if match is None:
        return text
    name, attribute, detail = match.groups()
    subject = (
        _("%(element)s attribute %(attribute)s") % {"element": name, "attribute": attribute}
        if attribute
        else name
    )
    quoted = re.search(r"The value '([^']*)'", detail)
    if quoted:
        value = quoted.group(1)
    elif attribute and element is not None:
        # A walk over the element's attributes: at most MAX_ELEMENT_ATTRIBUTES of them (the parser
        # refuses more), for at most MAX_ISSUES errors.
        value = element.get(attribute) or ""
    else:
        value = (element.text or "").strip() if element is not None else ""
    shown = value if len(value) <= 40 else value[:37] + "..."
    limit = _LAST_NUMBER.search(detail)
    bound = limit.group(1) if limit else ""

    if "[facet 'maxLength']" in detail:
        length = re.search(r"length of '(\d+)'", detail)
        if length:
            return _(
                "%(subject)s '%(value)s' is %(size)s characters long; at most %(bound)s are allowed."
            ) % {
                "subject": subject,
                "value": shown,
                "size": length.group(1),
                "bound": bound,
            }
        return _("%(subject)s '%(value)s' is too many characters long; at most %(bound)s are allowed.") % {
            "subject": subject,
            "value": shown,
            "bound": bound,
        }
    if "[facet 'minLength']" in detail:
        return _("%(subject)s '%(value)s' is too short; at least %(bound)s characters are required.") % {
            "subject": subject,
            "value": shown,
            "bound": bound,
        }
    if "[facet 'totalDigits']" in detail:
        return _("%(subject)s '%(value)s' has too many digits; at most %(bound)s are allowed.") % {
            "subject": subject,
            "value": shown,
            "bound": bound,
        }
    if "[facet 'fractionDigits']" in detail:
        return _("%(subject)s '%(value)s' has too many decimal places; at most %(bound)s are allowed.") % {
            "subject": subject,
            "value": shown,
            "bound": bound,
        }
    if "[facet 'enumeration']" in detail:
        allowed = re.search(r"set \{(.*)\}", detail)
        if allowed:
            return _("%(subject)s '%(value)s' is not one of the allowed values (%(allowed)s).") % {
                "subject": subject,
                "value": shown,
                "allowed": allowed.group(1),
            }
        return _("%(subject)s '%(value)s' is not one of the allowed values.") % {
            "subject": subject,
            "value": shown,
        }
    if "[facet 'pattern']" in detail:
        pattern = re.search(r"pattern '([^']*)'", detail)
        if pattern:
            return _("%(subject)s '%(value)s' does not have the required format (%(pattern)s).") % {
                "subject": subject,
                "value": shown,
                "pattern": pattern.group(1),
            }
        return _("%(subject)s '%(value)s' does not have the required format.") % {
            "subject": subject,
            "value": shown,
        }
    if m := re.search(r"'([^']*)' is not a valid value of the atomic type '([^']+)'", detail):
        if re.search(r"Numeric|Quantity|Amount|Measure|decimal", m.group(2)):
            fmt = element_model().formats.get(m.group(2))
            if fmt:
                return _("%(subject)s '%(value)s' is not a number (format %(format)s).") % {
                    "subject": subject,
                    "value": m.group(1),
                    "format": fmt,
                }
            return _("%(subject)s '%(value)s' is not a number (a decimal number).") % {
                "subject": subject,
                "value": m.group(1),
            }
        return _("%(subject)s '%(value)s' is not a valid value.") % {"subject": subject, "value": m.group(1)}
    if m := re.match(r"This element is not expected\.(?: Expected is (.*))?", detail):
        names, one_of = _names(m.group(1) or "")
        if not names:
            return _("%(subject)s is not expected here.") % {"subject": subject}
        if one_of:
            return _("%(subject)s is not expected here; expected one of %(names)s.") % {
                "subject": subject,
                "names": names,
            }
        return _("%(subject)s is not expected here; expected %(names)s.") % {
            "subject": subject,
            "names": names,
        }
    if m := re.match(r"Missing child element\(s\)\. Expected is (.*)", detail):
        names, one_of = _names(m.group(1))
        if one_of:
            return _("%(subject)s is missing a required element: one of %(names)s.") % {
                "subject": subject,
                "names": names,
            }
        return _("%(subject)s is missing a required element: %(names)s.") % {
            "subject": subject,
            "names": names,
        }
    if shown and shown not in detail:
        # ``detail`` is libxml2's own (English) wording for a case not rephrased above.
        return _("%(subject)s: %(detail)s (value '%(value)s')") % {
            "subject": subject,
            "detail": detail,
            "value": shown,
        }
    return _("%(subject)s: %(detail)s") % {"subject": subject, "detail": detail}


def _names(expected: str) -> tuple[str, bool]:
    """``one of ( A, B )`` → ``("A, B", True)``; ``( A )`` → ``("A", False)``."""
    names = re.findall(r"[A-Za-z_][\w.-]*", expected.replace("one of", ""))
    return ", ".join(names), "one of" in expected


# --- the element model -------------------------------------------------------------------------


@dataclass
class ElementModel:
    """One element of the Declaration as the schema declares it."""

    name: str
    wcoid: str
    repeats: bool  # maxOccurs > 1: instances are numbered in pointers
    is_class: bool  # has child elements (a WCO class), as opposed to a data element
    children: dict[str, ElementModel] = field(default_factory=dict)  # in xs:sequence order

    def order(self, name: str) -> int:
        """Position of a child in the schema's sequence (unknown names sort last)."""
        try:
            return list(self.children).index(name)
        except ValueError:
            return len(self.children)


@dataclass
class _Model:
    root: ElementModel
    formats: dict[str, str]  # data-set type name → WCO format (``n..5``), for messages


@cache
def _build_model() -> _Model:
    path = schema_dir() / "WCO_DEC_2_DMS.xsd"
    document = etree.parse(str(path), _schema_parser()).getroot()
    named = {ct.get("name"): ct for ct in document.findall(f"{_XS}complexType")}
    top = document.find(f"{_XS}element[@name='Declaration']")
    assert top is not None, f"{path} declares no Declaration element"

    def wcoid(element: etree._Element) -> str:
        found = element.find(f"{_XS}annotation/{_XS}documentation/{{*}}WCOID")
        return (found.text or "").strip() if found is not None else ""

    def build(element: etree._Element) -> ElementModel:
        complex_type = element.find(f"{_XS}complexType")
        if complex_type is None and element.get("type") in named:
            complex_type = named[element.get("type")]
        node = ElementModel(
            name=element.get("name", ""),
            wcoid=wcoid(element),
            repeats=element.get("maxOccurs", "1") not in ("0", "1"),
            is_class=complex_type is not None,
        )
        if complex_type is not None:
            for child in complex_type.iterfind(f"{_XS}sequence/{_XS}element"):
                node.children[child.get("name", "")] = build(child)
        return node

    formats: dict[str, str] = {}
    ds = etree.parse(str(schema_dir() / "WCO_DS" / "WCO_DEC_DS_2_DMS.xsd"), _schema_parser()).getroot()
    for definition in ds:
        fmt = definition.find(f"{_XS}annotation/{_XS}documentation/{{*}}WCOFormat")
        if definition.get("name") and fmt is not None and fmt.text:
            formats[definition.get("name", "")] = fmt.text.strip()
    return _Model(root=build(top), formats=formats)


def element_model() -> _Model:
    with _lock:
        return _build_model()


def declaration_model() -> ElementModel:
    """The ``Declaration`` element and everything below it, with WCO IDs, from the schema."""
    return element_model().root
