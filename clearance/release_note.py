"""The release note: what it says (``release_facts``), as a PDF (``release_note_pdf``), and what a
gate sees when it checks the note's verification code (``release_verify``).

The PDF is drawn with ReportLab (pinned in pyproject.toml), its QR code with ReportLab's own
widget; the import is deferred so that pages other than the note never load it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from declarations.models import Declaration, GoodsItem, SourceMessage
from declarations.models import Status as DeclarationStatus
from declarations.wco.equipment import Equipment, transport_equipment

from .models import Outcome, ReleaseDecision
from .verification import verification_code_normalise


@dataclass(frozen=True)
class NoteItem:
    sequence: int
    description: str
    commodity_code: str
    quantity: Decimal | None
    quantity_unit: str
    gross_mass: Decimal | None


@dataclass
class ReleaseFacts:
    """What the release note states about one released declaration."""

    mrn: str
    lrn: str
    declaration_type: str
    trader: str
    declarant: str
    released_at: datetime
    decided_by: str
    code: str
    verify_url: str
    container_indicator: bool | None
    items: list[NoteItem] = field(default_factory=list)
    containers: list[Equipment] = field(default_factory=list)


def declaration_containers(declaration: Declaration) -> list[Equipment]:
    """The containers (DE 7/10, seals DE 7/18) of the version in force, read from its XML message.

    The canonical model does not keep them (``declarations.wco.equipment``): a declaration lodged
    as JSON or in the form lists none. One or two queries.
    """
    version = (
        declaration.versions.filter(number=declaration.version)
        .only("number", "source_body", "source_content_type")
        .first()
    )
    body, content_type = "", ""
    if version is not None and version.source_body:
        body, content_type = version.source_body, version.source_content_type
    elif declaration.version == 1:
        source = SourceMessage.objects.filter(declaration=declaration).first()
        if source is not None:
            body, content_type = source.body, source.content_type
    if not body or "xml" not in content_type.lower():
        return []
    return transport_equipment(body)


def _account(account: Any) -> str:
    return f"{account.name} ({account.eori})" if account is not None else "–"


def release_facts(
    declaration: Declaration, decision: ReleaseDecision, *, items: list[GoodsItem], verify_url: str
) -> ReleaseFacts:
    """The note's content: the declaration, its goods items, its containers and the code."""
    declarant = declaration.declarant_account
    if declarant is None:
        party = next((p for p in declaration.parties.all() if p.role == "declarant"), None)
        declarant_text = party.eori if party is not None and party.eori else "–"
    else:
        declarant_text = _account(declarant)
    return ReleaseFacts(
        mrn=declaration.mrn or "",
        lrn=declaration.lrn,
        declaration_type=declaration.full_type,
        trader=_account(declaration.trader_account),
        declarant=declarant_text,
        released_at=decision.decided_at,
        # The note goes to the trader and the gate: the authority, never an officer's name.
        decided_by=_("A customs supervisor") if decision.override else _("The system: every agency approved"),
        code=decision.verification_code or "",
        verify_url=verify_url,
        container_indicator=declaration.container,
        items=[
            NoteItem(
                sequence=item.sequence,
                description=item.description,
                commodity_code=item.commodity_code,
                quantity=item.quantity,
                quantity_unit=item.quantity_unit,
                gross_mass=item.gross_mass,
            )
            for item in sorted(items, key=lambda i: i.sequence)
        ],
        containers=declaration_containers(declaration),
    )


def _number(value: Decimal | None) -> str:
    if value is None:
        return "–"
    normal = value.normalize()
    return format(normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal, "f")


def _when(value: datetime) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def release_note_pdf(facts: ReleaseFacts) -> bytes:
    """The release note as an A4 PDF: header facts, goods items, containers, the verification code
    with its URL and a QR code of the URL."""
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=colors.HexColor("#505a5f"))
    cell = ParagraphStyle("cell", parent=body, fontSize=9, leading=11)
    code_style = ParagraphStyle("code", parent=body, fontName="Courier-Bold", fontSize=16, leading=20)

    def p(text: str, style: ParagraphStyle = cell) -> Paragraph:
        return Paragraph(escape(text), style)

    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#b1b4b6")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f2f1")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    story: list[Any] = [
        p(_("National Single Window"), styles["Heading4"]),
        p(_("Release note"), styles["Title"]),
        p(
            _("Goods released"),
            ParagraphStyle("outcome", parent=styles["Heading2"], textColor=colors.HexColor("#00703c")),
        ),
    ]
    header = [
        (_("MRN"), facts.mrn),
        (_("LRN"), facts.lrn or "–"),
        (_("Declaration type"), facts.declaration_type),
        (_("Trader"), facts.trader),
        (_("Declarant"), facts.declarant),
        (_("Released at"), _when(facts.released_at)),
        (_("Decided by"), facts.decided_by),
    ]
    header_table = Table([[p(k), p(v)] for k, v in header], colWidths=[45 * mm, 125 * mm])
    header_table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#b1b4b6"))]))
    story += [header_table, Spacer(1, 6 * mm), p(_("Goods items"), styles["Heading3"])]
    rows = [
        [p(_("Item")), p(_("Description")), p(_("Commodity code")), p(_("Quantity")), p(_("Gross mass (kg)"))]
    ]
    for item in facts.items:
        quantity = _number(item.quantity) + (
            f" {item.quantity_unit}" if item.quantity is not None and item.quantity_unit else ""
        )
        rows.append(
            [
                p(str(item.sequence)),
                p(item.description),
                p(item.commodity_code),
                p(quantity),
                p(_number(item.gross_mass)),
            ]
        )
    items_table = Table(rows, colWidths=[12 * mm, 80 * mm, 30 * mm, 25 * mm, 23 * mm], repeatRows=1)
    items_table.setStyle(grid)
    story += [items_table, Spacer(1, 6 * mm), p(_("Containers"), styles["Heading3"])]
    if facts.containers:
        crow = [[p(_("Container")), p(_("Seals"))]] + [
            [p(c.id), p(", ".join(c.seals) or "–")] for c in facts.containers
        ]
        containers_table = Table(crow, colWidths=[60 * mm, 110 * mm], repeatRows=1)
        containers_table.setStyle(grid)
        story.append(containers_table)
    elif facts.container_indicator:
        story.append(p(_("Carried in containers; no container numbers were declared."), body))
    else:
        story.append(p(_("No containers declared."), body))

    qr = QrCodeWidget(facts.verify_url)
    x0, y0, x1, y1 = qr.getBounds()
    size = 32 * mm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    verify = [
        p(_("Verification code"), styles["Heading3"]),
        p(facts.code, code_style),
        p(
            _("Check this note at %(url)s (or scan the code): it shows whether the release is still valid.")
            % {"url": facts.verify_url},
            body,
        ),
    ]
    verify_table = Table([[verify, drawing]], colWidths=[130 * mm, 40 * mm])
    verify_table.setStyle(
        TableStyle(
            [("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOX", (0, 0), (-1, -1), 1, colors.HexColor("#1d3557"))]
        )
    )
    story += [Spacer(1, 6 * mm), KeepTogether([verify_table])]
    story += [
        Spacer(1, 6 * mm),
        p(
            _(
                "This note records the single release decision on declaration %(mrn)s. "
                "It was issued by the National Single Window."
            )
            % {"mrn": facts.mrn},
            small,
        ),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=_("Release note %(mrn)s") % {"mrn": facts.mrn},
        author=_("National Single Window"),
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    footer = _("Release note %(mrn)s · verification code %(code)s · page %%(page)d") % {
        "mrn": facts.mrn,
        "code": facts.code or "–",
    }

    def on_page(canvas: Any, doc: Any) -> None:
        # Every page names the declaration and the code: a page on its own is still checkable.
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.HexColor("#505a5f"))
        canvas.drawString(20 * mm, 10 * mm, footer % {"page": doc.page})
        canvas.restoreState()

    document.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


# --- the gate's check ------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What ``/verify/<code>`` tells a gate: never the trader, its values or its duties."""

    state: str  # "valid", "revoked" (released, then cancelled or invalidated), "unknown"
    mrn: str = ""
    released_at: datetime | None = None
    direction: str = ""
    items_count: int = 0
    goods: list[str] = field(default_factory=list)  # "1. Roses (0603110000)"
    containers: list[Equipment] = field(default_factory=list)
    status_label: str = ""


def release_verify(text: str) -> Verification:
    """Look a release up by its verification code alone (any case, spaces or dashes): a code that
    cannot be one is unknown without a query; a known one costs three or four queries."""
    code = verification_code_normalise(text)
    if code is None:
        return Verification(state="unknown")
    decision = (
        ReleaseDecision.objects.filter(verification_code=code)
        .select_related("declaration")
        .only("outcome", "decided_at", "verification_code", "declaration")
        .first()
    )
    if decision is None:
        return Verification(state="unknown")
    declaration = decision.declaration
    valid = decision.outcome == Outcome.RELEASED and declaration.status == DeclarationStatus.RELEASED
    items = list(declaration.items.order_by("position").only("sequence", "description", "commodity_code"))
    return Verification(
        state="valid" if valid else "revoked",
        mrn=declaration.mrn or "",
        # The decision's time is the release's only while it is one (a later refusal rewrote it).
        released_at=decision.decided_at if decision.outcome == Outcome.RELEASED else None,
        direction=declaration.get_direction_display() if declaration.direction else "",
        items_count=len(items),
        goods=[f"{i.sequence}. {i.description} ({i.commodity_code})" for i in items],
        containers=declaration_containers(declaration),
        status_label=str(declaration.get_status_display()),
    )
