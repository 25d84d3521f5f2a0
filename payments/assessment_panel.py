"""The assessment on the declaration page (``declarations.panels``): every line explained, the
totals per tax type, and where the trader's declared amounts differ from the portal's.

Registered by ``PaymentsConfig.ready``. Two queries: the current assessment (with the one it
supersedes) and its lines. An officer who sees only part of the declaration sees the lines of the
items routed to it and its own agency's fees, and no totals (they would tell the rest).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from declarations.models import Declaration
from declarations.selectors import visible_agencies

from .assessment import ZERO, declared_differences
from .models import Assessment, AssessmentLine
from .models.assessment import LineCategory
from .models.tariff import TaxCategory, tax_category


def _tax_label(tax_type: str) -> str:
    if not tax_type:
        return str(LineCategory.FEE.label)
    return f"{tax_category(tax_type).label} ({tax_type})"


def lines_as_seen(
    assessment: Assessment, declaration: Declaration, user: Any
) -> tuple[list[AssessmentLine], bool]:
    """The lines ``user`` may see, and whether that is only part of them (one query).

    ``declaration`` comes from ``declaration_with_details(…, user=user)``. An officer who sees only
    part of the declaration sees the lines of the items routed to it and its own agency's fees.
    """
    lines = list(assessment.lines.all())
    visible = visible_agencies(user, declaration)
    if visible is None:
        return lines, False
    sequences = {item.sequence for item in declaration.items.all()}
    return [
        line
        for line in lines
        if (line.item_sequence in sequences and line.category != LineCategory.FEE)
        or (line.category == LineCategory.FEE and line.agency_code in visible)
    ], True


def assessment_panel(request: HttpRequest, declaration: Declaration) -> SafeString:
    """The panel's HTML, or nothing while the declaration has no assessment."""
    assessment = (
        Assessment.objects.filter(declaration=declaration, is_current=True)
        .select_related("supersedes")
        .first()
    )
    if assessment is None:
        return SafeString("")
    lines, partial = lines_as_seen(assessment, declaration, request.user)
    by_item: dict[int | None, list[AssessmentLine]] = defaultdict(list)
    for line in lines:
        by_item[line.item_sequence].append(line)
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        if line.is_charged:
            totals[_tax_label(line.tax_type)] += line.amount
    differences = declared_differences(assessment, lines)
    if partial:
        shown = {line.item_sequence for line in lines}
        differences = [d for d in differences if d.item_sequence in shown]
    context = {
        "assessment": assessment,
        "items": [(seq, by_item[seq]) for seq in sorted(s for s in by_item if s is not None)],
        "fees": by_item.get(None, []),
        "totals": sorted(totals.items()),
        "show_total": not partial,
        "differences": differences,
        "incomplete": any(line.incomplete for line in lines),
        "previous": assessment.supersedes,
        "difference": assessment.total - assessment.supersedes.total if assessment.supersedes else None,
        "duty": TaxCategory.DUTY,
    }
    return render_to_string("payments/_assessment_panel.html", context, request=request)
