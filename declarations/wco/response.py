"""WCO DMS response messages (notifications): what the portal answers in the trader's standard.

A response is a ``Response`` of the RES-DMS schema (``WCO_RES_2_DMS.xsd``) inside the
``md:MetaData`` envelope, as the national system sends them (the HMRC trade-test notifications):
the function code (01 accepted, 03 rejected, 06 documents required, 09 cleared …), the response's
own reference, when it was issued, then what the function needs (errors with their pointers,
statements, a status) and the declaration it is about (LRN, MRN, version, dates).

Error pointers use WCO class codes, as the national system's: each class of the path is one
``Pointer`` (``DocumentSectionCode``, with ``SequenceNumeric`` for a repeated class), the last one
carrying the data element's WCO ID as ``TagID``; the path always starts at the declaration (42A).
The class codes and tag IDs come from the declaration schema's ``<WCOID>`` annotations.

``response_schema()`` compiles the notification schemas (they share the envelope's namespace with
the declaration schemas, so they are a schema of their own), read from the shared data as the
declaration schemas are.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from django.conf import settings
from lxml import etree

from .namespaces import DEC_NS, MD_NS, RES_NS
from .schema import XS, ElementModel, declaration_model

# Dates and times of the response data set (DateTimeString), not of the declaration.
RES_DS_NS = "urn:wco:datamodel:WCO:Response_DS:DMS:2"
# "YYYYMMDDHHMMSSZ", UTC.
DATE_TIME_FORMAT = "304"

# Lengths the response schema allows (WCO_RES_DS_2_DMS.xsd).
DESCRIPTION_MAX = 512
STATEMENT_CODE_MAX = 17
TAG_ID_MAX = 4

_CLASS = re.compile(r"^(\d{2}[A-Z])(?:\[(\d{1,5})\])?$")
# Characters XML 1.0 cannot carry: a message quoting hostile input must still serialise.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_lock = threading.RLock()


@dataclass(frozen=True)
class PointerStep:
    section: str  # WCO class code, DocumentSectionCode (``68A``)
    sequence: int | None = None  # position of a repeated class
    tag: str = ""  # the data element's WCO ID, on the last step only (``128``)


@dataclass(frozen=True)
class ErrorEntry:
    validation_code: str  # a code of ``dmsErrorCodes.json`` (``CDS10001``)
    description: str
    pointer: tuple[PointerStep, ...] = ()


@dataclass(frozen=True)
class Statement:
    type_code: str  # StatementTypeCode (``AFB``)
    description: str = ""
    code: str = ""
    pointer: tuple[PointerStep, ...] = ()


@dataclass
class ResponseContent:
    """Everything one response message says; ``response_xml`` writes it."""

    function_code: str
    reference: str  # the response's own FunctionalReferenceID (32 hex digits)
    issued_at: datetime
    lrn: str = ""
    mrn: str = ""
    version: int | None = None
    accepted_at: datetime | None = None
    rejected_at: datetime | None = None
    cancelled_at: datetime | None = None
    statements: list[Statement] = field(default_factory=list)
    errors: list[ErrorEntry] = field(default_factory=list)
    status_code: str = ""  # Status/NameCode (39 granted, 41 denied)
    status_at: datetime | None = None


def xml_text(text: str, limit: int) -> str:
    """``text`` on one line, without characters XML cannot carry, at most ``limit`` characters."""
    flat = " ".join(_NOT_XML.sub("", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def date_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")


# --- pointers ----------------------------------------------------------------------------------


def pointer_steps(pointer: str) -> tuple[PointerStep, ...]:
    """The WCO pointer (``67A/68A[2]/23A/65A NetNetWeightMeasure``) as response ``Pointer`` steps.

    The path is anchored at the declaration (42A first). A repeated class carries its position;
    the goods shipment, of which a declaration has one, carries 1 as the national system sends
    it. The data element becomes the last step's ``TagID`` (its WCO ID from the schema). Anything
    that is not a class-code path (a JSON field name, the envelope) gives the declaration alone.
    """
    classes_part, _, element = pointer.strip().partition(" ")
    tokens = [t for t in classes_part.split("/") if t]
    matched = [_CLASS.match(t) for t in tokens]
    if not tokens or not all(matched):
        return (PointerStep("42A"),)
    steps: list[PointerStep] = []
    node: ElementModel | None = declaration_model()
    for match in matched:
        assert match is not None
        code, position = match.group(1), match.group(2)
        if code == "42A":
            node = declaration_model()
            continue
        node = _class_child(node, code)
        sequence = int(position) if position else (1 if code == "67A" else None)
        steps.append(PointerStep(code, sequence))
    tag = ""
    if element and node is not None:
        child = node.children.get(element)
        if child is not None and not child.is_class and 0 < len(child.wcoid) <= TAG_ID_MAX:
            tag = child.wcoid
    steps.insert(0, PointerStep("42A"))
    last = steps[-1]
    steps[-1] = PointerStep(last.section, last.sequence, tag)
    return tuple(steps)


def _class_child(node: ElementModel | None, code: str) -> ElementModel | None:
    if node is None:
        return None
    return next((c for c in node.children.values() if c.is_class and c.wcoid == code), None)


# --- writing -----------------------------------------------------------------------------------


def _res(local: str) -> str:
    return f"{{{RES_NS}}}{local}"


def _sub(parent: etree._Element, local: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _res(local))
    if text is not None:
        element.text = text
    return element


def _when(parent: etree._Element, local: str, value: datetime) -> None:
    holder = _sub(parent, local)
    string = etree.SubElement(holder, f"{{{RES_DS_NS}}}DateTimeString", formatCode=DATE_TIME_FORMAT)
    string.text = date_time(value)


def _pointers(parent: etree._Element, steps: tuple[PointerStep, ...]) -> None:
    for step in steps:
        pointer = _sub(parent, "Pointer")
        if step.sequence is not None:
            _sub(pointer, "SequenceNumeric", str(step.sequence))
        _sub(pointer, "DocumentSectionCode", step.section)
        if step.tag:
            _sub(pointer, "TagID", step.tag)


def response_xml(content: ResponseContent) -> bytes:
    """The response in its ``md:MetaData`` envelope, UTF-8 with an XML declaration."""
    nsmap = {"md": MD_NS, None: RES_NS, "ds": RES_DS_NS}
    root = etree.Element(f"{{{MD_NS}}}MetaData", nsmap=nsmap)  # type: ignore[arg-type]
    for local, text in (
        ("WCODataModelVersionCode", "3.6"),
        ("WCOTypeName", "RES"),
        ("ResponsibleCountryCode", settings.SW_MRN_COUNTRY),
        ("ResponsibleAgencyName", xml_text(settings.SW_RESPONSE_AGENCY_NAME, 70)),
    ):
        etree.SubElement(root, f"{{{MD_NS}}}{local}").text = text
    response = etree.SubElement(root, _res("Response"))
    _sub(response, "FunctionCode", content.function_code)
    _sub(response, "FunctionalReferenceID", content.reference)
    _when(response, "IssueDateTime", content.issued_at)
    for statement in content.statements:
        info = _sub(response, "AdditionalInformation")
        if statement.code:
            _sub(info, "StatementCode", xml_text(statement.code, STATEMENT_CODE_MAX))
        if statement.description:
            _sub(info, "StatementDescription", xml_text(statement.description, DESCRIPTION_MAX))
        _sub(info, "StatementTypeCode", statement.type_code)
        _pointers(info, statement.pointer)
    for error in content.errors:
        entry = _sub(response, "Error")
        if error.description:
            _sub(entry, "Description", xml_text(error.description, DESCRIPTION_MAX))
        _sub(entry, "ValidationCode", error.validation_code)
        _pointers(entry, error.pointer)
    if content.status_code:
        status = _sub(response, "Status")
        if content.status_at is not None:
            _when(status, "EffectiveDateTime", content.status_at)
        _sub(status, "NameCode", content.status_code)
    declaration = _sub(response, "Declaration")
    if content.accepted_at is not None:
        _when(declaration, "AcceptanceDateTime", content.accepted_at)
    if content.cancelled_at is not None:
        _when(declaration, "CancellationDateTime", content.cancelled_at)
    if content.lrn:
        _sub(declaration, "FunctionalReferenceID", xml_text(content.lrn, 35))
    if content.mrn:
        _sub(declaration, "ID", content.mrn)
    if content.rejected_at is not None:
        _when(declaration, "RejectionDateTime", content.rejected_at)
    if content.version is not None:
        _sub(declaration, "VersionID", str(content.version))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# --- the schema --------------------------------------------------------------------------------


def notification_schema_dir() -> Path:
    """The folder holding WCO_RES_2_DMS.xsd (``SW_WCO_NOTIFICATION_SCHEMA_DIR`` overrides it)."""
    override = getattr(settings, "SW_WCO_NOTIFICATION_SCHEMA_DIR", None)
    if override:
        return Path(override)
    return Path(settings.SHARED_DATA_DIR) / "wco-dms" / "schemas" / "notification"


@cache
def _compiled_response_schema() -> etree.XMLSchema:
    base = notification_schema_dir()
    wrapper = (
        f'<xs:schema xmlns:xs="{XS}" targetNamespace="urn:singlewindow:wco-res-wrapper" '
        'elementFormDefault="qualified">'
        f'<xs:import namespace="{RES_NS}" schemaLocation="{(base / "WCO_RES_2_DMS.xsd").as_uri()}"/>'
        f'<xs:import namespace="{MD_NS}" '
        f'schemaLocation="{(base / "DocumentMetaData_2_DMS.xsd").as_uri()}"/>'
        "</xs:schema>"
    )
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    document = etree.fromstring(wrapper.encode(), parser, base_url=base.as_uri() + "/")
    return etree.XMLSchema(document)


def response_schema_errors(body: bytes) -> list[str]:
    """Schema errors of a response message (``[]``: valid against the DMS notification schemas)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    root = etree.fromstring(body, parser)
    with _lock:
        schema = _compiled_response_schema()
        if schema.validate(root):
            return []
        return [f"{e.line}: {e.message}" for e in schema.error_log]  # type: ignore[attr-defined]


__all__ = [
    "DEC_NS",
    "ErrorEntry",
    "PointerStep",
    "ResponseContent",
    "Statement",
    "pointer_steps",
    "response_schema_errors",
    "response_xml",
]
