"""What the portal assessed for a declaration's version: one ``Assessment`` with its lines.

An assessment is never changed: an amendment gives a new one that ``supersedes`` it, and only one
per declaration is current (a conditional unique constraint). Each line keeps its explanation as
message keys with their values, so it reads in the viewer's language (``AssessmentLine.explanation``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .tariff import ADMINISTRATION_CURRENCY, FeeRule, TariffMeasure, Unit, VatRate


class LineCategory(models.TextChoices):
    VALUE = "value", _("Customs value")
    DUTY = "duty", _("Customs duty")
    EXCISE = "excise", _("Excise")
    VAT = "vat", _("VAT")
    FEE = "fee", _("Agency fee")


# The categories that are charged (the customs value line only explains the base).
CHARGED = (LineCategory.DUTY, LineCategory.EXCISE, LineCategory.VAT, LineCategory.FEE)


class RateKind(models.TextChoices):
    AD_VALOREM = "ad_valorem", _("ad valorem")
    SPECIFIC = "specific", _("specific")
    BOTH = "both", _("ad valorem plus specific")
    FLAT = "flat", _("flat fee")
    NONE = "none", _("no rate")


# The sentences of explanations, by key. Values are filled in when the line is shown.
EXPLANATIONS: dict[str, Promise] = {
    "value_price": _("Item price %(amount)s %(currency)s (DE 4/14)"),
    "value_statistical": _(
        "no item price declared (DE 4/14): the statistical value %(amount)s %(currency)s (DE 8/6) is used"
    ),
    "value_missing": _(
        "no item price declared (DE 4/14): the customs value is unknown, customs must establish it"
    ),
    "value_converted_declared": _(
        "converted at the declared rate of %(rate)s %(currency)s for 1 %(home)s (DE 4/15): "
        "%(converted)s %(home)s"
    ),
    "value_converted_administration": _(
        "converted at the administration's rate of %(rate)s %(currency)s for 1 %(home)s (valid from "
        "%(valid_from)s): %(converted)s %(home)s"
    ),
    "value_no_rate": _(
        "no exchange rate for %(currency)s on %(day)s: not converted, customs must establish the value"
    ),
    "freight_added": _(
        "plus %(share)s %(home)s, this item's share by value of the freight %(freight)s %(home)s "
        "(delivery terms %(terms)s leave it out of the price)"
    ),
    "freight_included": _("freight not added: delivery terms %(terms)s include it in the price"),
    "value_total": _("customs value %(value)s %(home)s"),
    "duty_ad_valorem": _(
        "Customs duty %(rate)s %% of customs value %(base)s %(home)s (%(source)s %(code)s, valid from "
        "%(valid_from)s)"
    ),
    "duty_specific": _(
        "Customs duty %(amount)s %(currency)s per %(unit_label)s on %(quantity)s %(unit)s (%(source)s "
        "%(code)s, valid from %(valid_from)s)"
    ),
    "duty_both": _(
        "Customs duty %(rate)s %% of customs value %(base)s %(home)s plus %(amount)s %(currency)s per "
        "%(unit_label)s on %(quantity)s %(unit)s (%(source)s %(code)s, valid from %(valid_from)s)"
    ),
    "excise_ad_valorem": _(
        "Excise (tax type %(tax_type)s) %(rate)s %% of %(base)s %(home)s (%(source)s %(code)s, valid "
        "from %(valid_from)s)"
    ),
    "excise_specific": _(
        "Excise (tax type %(tax_type)s) %(amount)s %(currency)s per %(unit_label)s on %(quantity)s "
        "%(unit)s (%(source)s %(code)s, valid from %(valid_from)s)"
    ),
    "excise_both": _(
        "Excise (tax type %(tax_type)s) %(rate)s %% of %(base)s %(home)s plus %(amount)s %(currency)s per "
        "%(unit_label)s on %(quantity)s %(unit)s (%(source)s %(code)s, valid from %(valid_from)s)"
    ),
    "quantity_missing": _(
        "%(category)s %(amount)s %(currency)s per %(unit_label)s (%(source)s %(code)s): the declaration "
        "gives no quantity in %(unit_label)s (DE 6/1, 6/2), so this is not assessed; customs must "
        "establish it"
    ),
    "vat": _(
        "VAT %(rate)s %% (%(vat_rate)s) of %(base)s %(home)s: customs value %(value)s + duty %(duty)s + "
        "excise %(excise)s (%(source)s %(code)s, valid from %(valid_from)s)"
    ),
    "no_duty_measure": _("No duty measure for %(code)s: no customs duty in the tariff in force on %(day)s"),
    "no_vat_measure": _(
        "No VAT measure for %(code)s in force on %(day)s: VAT not assessed, customs must check it"
    ),
    "preference_given": _(
        "preferential rate: preference %(preference)s claimed for origin %(origin)s with proof %(proof)s"
    ),
    "preference_not_claimed": _(
        "the preferential rate for origin %(origin)s (preference %(preference)s) was not given: the "
        "declaration claims %(claimed)s (DE 4/17)"
    ),
    "preference_no_proof": _(
        "preference %(preference)s was not given: no proof of origin declared (one of %(proofs)s, DE 2/3)"
    ),
    "preference_no_measure": _(
        "preference %(claimed)s was not given: the tariff has no preferential rate for %(code)s from "
        "origin %(origin)s"
    ),
    "fee_declaration": _(
        "%(agency)s fee for its review: %(amount)s %(currency)s per declaration (valid from %(valid_from)s)"
    ),
    "fee_item": _(
        "%(agency)s fee for its review of this item: %(amount)s %(currency)s per goods item (valid from "
        "%(valid_from)s)"
    ),
    "rate_declared": _("converted at the declared rate of %(rate)s %(currency)s for 1 %(home)s (DE 4/15)"),
    "rate_administration": _(
        "converted at the administration's rate of %(rate)s %(currency)s for 1 %(home)s (valid from "
        "%(valid_from)s)"
    ),
    "rate_no_rate": _(
        "no exchange rate for %(currency)s on %(day)s: not assessed, customs must establish it"
    ),
}

# Values shown as numbers in the viewer's format (grouped thousands, its decimal mark).
_NUMBERS = frozenset(
    {"amount", "base", "converted", "duty", "excise", "freight", "quantity", "rate", "share", "value"}
)


def _plain(number: Decimal) -> str:
    """A rate or quantity without trailing zeros: 2.000 → "2", 27.2000 → "27.2"."""
    return format(number.normalize(), "f")


def _shown(key: str, value: Any) -> Any:
    if key in _NUMBERS and isinstance(value, str):
        try:
            return number_format(Decimal(value), force_grouping=True)
        except (InvalidOperation, ValueError):
            return value
    return value


def explain(parts: list[list[Any]], *, home: str = ADMINISTRATION_CURRENCY) -> str:
    """The sentence of an explanation stored as ``[[key, {values}], …]``, in the active language;
    ``home`` is the currency of the assessment."""
    sentences = []
    for key, values in parts:
        values = {"home": home, **values}
        if values.get("unit") in Unit.values:
            values["unit_label"] = Unit(values["unit"]).label
        if values.get("vat_rate") in VatRate.values:
            values["vat_rate"] = VatRate(values["vat_rate"]).label
        if values.get("category") in LineCategory.values:
            values["category"] = LineCategory(values["category"]).label
        template = EXPLANATIONS.get(key)
        if template is None:
            sentences.append(key)
            continue
        sentences.append(str(template) % {k: _shown(k, v) for k, v in values.items()})
    return "; ".join(sentences)


class Assessment(models.Model):
    """The duties, taxes and fees of one version of a declaration, in the administration's currency."""

    declaration = models.ForeignKey(
        "declarations.Declaration", on_delete=models.PROTECT, related_name="assessments"
    )
    version = models.PositiveIntegerField(_("declaration version"))
    currency = models.CharField(_("currency"), max_length=3, default=ADMINISTRATION_CURRENCY)
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=2)
    assessed_on = models.DateField(_("tariff of"), help_text=_("The day whose tariff and rates applied."))
    # What the trader declared (DE 4/3–4/5), as it was in this version: [{item, tax_type, amount}].
    declared = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("assessed at"), default=timezone.now)
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    is_current = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["declaration", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["declaration"],
                condition=models.Q(is_current=True),
                name="assessment_one_current_per_declaration",
            ),
            models.UniqueConstraint(fields=["declaration", "version"], name="assessment_once_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id} v{self.version}: {self.total} {self.currency}"

    def amounts_by_code(self, lines: list[AssessmentLine] | None = None) -> dict[str, Decimal]:
        """What is charged per revenue code, as the ledger posts it (``payments.charges``): the tax
        type, or ``FEE:<agency code>`` for a fee. ``lines`` when already loaded."""
        amounts: dict[str, Decimal] = {}
        for line in lines if lines is not None else self.lines.all():
            if line.is_charged:
                amounts[line.revenue_code] = amounts.get(line.revenue_code, Decimal("0.00")) + line.amount
        return amounts


class AssessmentLine(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    item_sequence = models.PositiveIntegerField(_("item"), null=True, blank=True)
    category = models.CharField(_("category"), max_length=10, choices=LineCategory.choices)
    tax_type = models.CharField(_("tax type"), max_length=3, blank=True)
    agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency_code = models.CharField(_("agency"), max_length=30, blank=True)
    base_amount = models.DecimalField(_("base"), max_digits=18, decimal_places=2, null=True, blank=True)
    base_quantity = models.DecimalField(
        _("base quantity"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    base_unit = models.CharField(_("unit"), max_length=3, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=RateKind.choices)
    rate_percent = models.DecimalField(_("rate (%)"), max_digits=7, decimal_places=3, null=True, blank=True)
    specific_rate = models.DecimalField(
        _("amount per unit"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    explanation_parts = models.JSONField(default=list)
    measure = models.ForeignKey(
        TariffMeasure, null=True, blank=True, on_delete=models.PROTECT, related_name="assessment_lines"
    )
    fee_rule = models.ForeignKey(
        FeeRule, null=True, blank=True, on_delete=models.PROTECT, related_name="assessment_lines"
    )
    declared_amount = models.DecimalField(
        _("declared"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    # True where the portal could not compute the line (no quantity, no exchange rate): an officer
    # must establish it; the amount stands at what could be computed.
    incomplete = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("assessment line")
        verbose_name_plural = _("assessment lines")
        ordering = ["assessment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "position"], name="assessmentline_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.item_sequence or '-'} {self.category} {self.tax_type} {self.amount}"

    @property
    def explanation(self) -> str:
        return explain(self.explanation_parts, home=self.assessment.currency)

    @property
    def is_charged(self) -> bool:
        return self.category in CHARGED

    @property
    def revenue_code(self) -> str:
        return f"FEE:{self.agency_code}" if self.category == LineCategory.FEE else self.tax_type

    @property
    def base_quantity_shown(self) -> str:
        return _plain(self.base_quantity) if self.base_quantity is not None else ""

    @property
    def rate_shown(self) -> str:
        """The rate as the tariff writes it: "2 %", "27.2 / DTN", "12 % + 2 / KGM" (fees: none)."""
        parts = []
        if self.rate_percent is not None:
            parts.append(f"{_plain(self.rate_percent)} %")
        if self.specific_rate is not None and self.category != LineCategory.FEE:
            parts.append(
                f"{_plain(self.specific_rate)} / {self.base_unit}"
                if self.base_unit
                else _plain(self.specific_rate)
            )
        return " + ".join(parts)
