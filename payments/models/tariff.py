"""The tariff the portal assesses with: duty, excise and VAT measures by commodity code, the
administration's exchange rates and the agencies' fees.

Every row is valid for a period (``valid_from`` to ``valid_to``, both days included; no end: until
further notice). A rate is never edited in place once used: the measure is ended and a new one
starts, so an old assessment still names the measure it was computed with (lines protect it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..money import home_currency

# The tariff's own currency: specific amounts and fees default to it. Assessments are made in the
# administration's currency (``payments.money.home_currency``, SW_CURRENCY), which is GBP here.
ADMINISTRATION_CURRENCY = "GBP"

# The origin groups a measure may name instead of one country (DE 5/16 is always one country).
ORIGIN_GROUPS: dict[str, frozenset[str]] = {
    "EU": frozenset(
        [
            "AT",
            "BE",
            "BG",
            "CY",
            "CZ",
            "DE",
            "DK",
            "EE",
            "ES",
            "FI",
            "FR",
            "GR",
            "HR",
            "HU",
            "IE",
            "IT",
            "LT",
            "LU",
            "LV",
            "MT",
            "NL",
            "PL",
            "PT",
            "RO",
            "SE",
            "SI",
            "SK",
        ]
    ),
}


class TaxCategory(models.TextChoices):
    """What a tax type is, for the engine and the totals (DE 4/3 codes: A.. duties, B.. VAT, digits
    excise)."""

    DUTY = "duty", _("Customs duty")
    EXCISE = "excise", _("Excise")
    VAT = "vat", _("VAT")


def tax_category(tax_type: str) -> TaxCategory:
    if tax_type.startswith("A"):
        return TaxCategory.DUTY
    if tax_type.startswith("B"):
        return TaxCategory.VAT
    return TaxCategory.EXCISE


TAX_TYPE_SHAPE = RegexValidator(
    r"^(A[0-9]{2}|B[0-9]{2}|[1-9][0-9]{2})$",
    _(
        "A tax type (DE 4/3) is A and two digits (customs duties: A00), B and two digits (VAT: B00) "
        "or three digits (excise, for example 413)."
    ),
)
CODE_PREFIX_SHAPE = RegexValidator(
    r"^[0-9]{2,10}$", _("A commodity code prefix is 2 to 10 digits (chapter 22, heading 2204, …).")
)
CURRENCY_SHAPE = RegexValidator(r"^[A-Z]{3}$", _("A currency is three capital letters (ISO 4217)."))
ORIGIN_SHAPE = RegexValidator(
    r"^([A-Z]{2}|" + "|".join(ORIGIN_GROUPS) + r")?$",
    _("An origin is a country code of two letters, a group (%(groups)s) or blank for every origin.")
    % {"groups": ", ".join(ORIGIN_GROUPS)},
)
PREFERENCE_SHAPE = RegexValidator(r"^([0-9]{3})?$", _("A preference (DE 4/17) is three digits, e.g. 300."))
PROOF_SHAPE = RegexValidator(
    r"^([A-Z0-9][0-9A-Z]{3}( [A-Z0-9][0-9A-Z]{3})*)?$",
    _("Proof documents are DE 2/3 codes of four characters separated by spaces, e.g. U110 U112."),
)


class MeasureKind(models.TextChoices):
    AD_VALOREM = "ad_valorem", _("ad valorem (% of a value)")
    SPECIFIC = "specific", _("specific (an amount per unit)")
    BOTH = "both", _("ad valorem plus specific")


class VatRate(models.TextChoices):
    STANDARD = "standard", _("standard rate")
    REDUCED = "reduced", _("reduced rate")
    ZERO = "zero", _("zero rate")


class Unit(models.TextChoices):
    """Measurement units of specific rates (UN/ECE Rec. 20 codes, as the UK tariff writes them)."""

    KGM = "KGM", _("kg net mass")
    DTN = "DTN", _("100 kg net mass")
    TNE = "TNE", _("tonne net mass")
    GRM = "GRM", _("g net mass")
    NAR = "NAR", _("items")
    NPR = "NPR", _("pairs")
    LTR = "LTR", _("litres")
    HLT = "HLT", _("hectolitres")
    LPA = "LPA", _("litres of pure alcohol")
    MTQ = "MTQ", _("m³")
    MTK = "MTK", _("m²")
    MTR = "MTR", _("metres")


class FeeBasis(models.TextChoices):
    DECLARATION = "declaration", _("per declaration")
    ITEM = "item", _("per goods item routed to the agency")


def _in_force(valid_from: date, valid_to: date | None) -> models.Q:
    """Rows whose period meets [valid_from, valid_to] (no end: open)."""
    meets = models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=valid_from)
    if valid_to is not None:
        meets &= models.Q(valid_from__lte=valid_to)
    return meets


def _check_period(valid_from: date | None, valid_to: date | None) -> None:
    if valid_from and valid_to and valid_to < valid_from:
        raise ValidationError({"valid_to": _("The last day of validity is before the first.")})


class _Period(models.Model):
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True, help_text=_("Last day (included)."))

    class Meta:
        abstract = True

    def in_force_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def overlap_group(self) -> tuple[Any, ...]:
        """Rows of the same group may not be in force on the same day."""
        raise NotImplementedError

    def overlap_label(self) -> str:
        raise NotImplementedError

    def validate_rules(self) -> None:
        """Every rule of the row that needs no query (the admin and the loader run it)."""
        _check_period(self.valid_from, self.valid_to)

    def overlaps(self, other: _Period) -> bool:
        return self.valid_from <= (other.valid_to or date.max) and other.valid_from <= (
            self.valid_to or date.max
        )

    def refuse_overlap_with(self, others: Iterable[_Period]) -> None:
        """Refuse the row when one of ``others`` of its group is in force on one of its days."""
        if self.valid_from is None:
            return
        group = self.overlap_group()
        for clash in others:
            if clash is self or (clash.pk is not None and clash.pk == self.pk):
                continue
            if clash.overlap_group() == group and self.overlaps(clash):
                until = clash.valid_to.isoformat() if clash.valid_to else _("further notice")
                raise ValidationError(
                    _("%(what)s overlaps the one valid from %(start)s to %(end)s: end that one first.")
                    % {"what": self.overlap_label(), "start": clash.valid_from.isoformat(), "end": until}
                )

    def same_group(self) -> models.QuerySet[Any]:
        raise NotImplementedError

    def clean(self) -> None:
        self.validate_rules()
        if self.valid_from is not None:
            self.refuse_overlap_with(self.same_group().filter(_in_force(self.valid_from, self.valid_to)))


class TariffMeasure(_Period):
    """One rate of one tax for the goods whose commodity code starts with ``code_prefix`` (the
    longest prefix in force wins), from an origin (country, group, or every origin)."""

    code_prefix = models.CharField(
        _("commodity code prefix"), max_length=10, validators=[CODE_PREFIX_SHAPE], db_index=True
    )
    tax_type = models.CharField(
        _("tax type"),
        max_length=3,
        validators=[TAX_TYPE_SHAPE],
        help_text=_("DE 4/3: A00 customs duty, B00 VAT, three digits for excise (e.g. 413 wine)."),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=MeasureKind.choices)
    rate_percent = models.DecimalField(
        _("ad valorem rate (%)"), max_digits=7, decimal_places=3, null=True, blank=True
    )
    specific_amount = models.DecimalField(
        _("specific amount per unit"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    specific_currency = models.CharField(
        _("currency of the specific amount"),
        max_length=3,
        default=ADMINISTRATION_CURRENCY,
        blank=True,
        validators=[CURRENCY_SHAPE],
    )
    unit = models.CharField(_("per unit"), max_length=3, choices=Unit.choices, blank=True)
    vat_rate = models.CharField(
        _("VAT rate"), max_length=10, choices=VatRate.choices, blank=True, help_text=_("VAT measures only.")
    )
    origin = models.CharField(
        _("origin"),
        max_length=4,
        blank=True,
        validators=[ORIGIN_SHAPE],
        help_text=_("A country (CL), a group (EU), or blank for every origin (erga omnes)."),
    )
    preference_code = models.CharField(
        _("preference (DE 4/17)"),
        max_length=3,
        blank=True,
        validators=[PREFERENCE_SHAPE],
        help_text=_("Blank for the third-country rate; the preference that must be claimed, e.g. 300."),
    )
    proof_documents = models.CharField(
        _("proof of origin (DE 2/3)"),
        max_length=60,
        blank=True,
        validators=[PROOF_SHAPE],
        help_text=_("Any one of these document codes must be declared for the preference, e.g. U110 U112."),
    )
    source = models.CharField(_("source"), max_length=60, default="UK Global Tariff")
    legal_note = models.TextField(_("legal note"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tariff measure")
        verbose_name_plural = _("tariff measures")
        ordering = ["code_prefix", "tax_type", "origin", "preference_code", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="tariffmeasure_period_ordered",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=["ad_valorem", "both"]) | models.Q(rate_percent__isnull=False),
                name="tariffmeasure_ad_valorem_has_rate",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=["specific", "both"])
                | (models.Q(specific_amount__isnull=False) & ~models.Q(unit="")),
                name="tariffmeasure_specific_has_amount_and_unit",
            ),
            models.UniqueConstraint(
                fields=["code_prefix", "tax_type", "origin", "preference_code", "valid_from"],
                name="tariffmeasure_unique_start",
            ),
        ]
        indexes = [models.Index(fields=["valid_from", "valid_to"])]

    def __str__(self) -> str:
        origin = self.origin or "erga omnes"
        return f"{self.code_prefix} {self.tax_type} {origin} {self.preference_code or ''}".strip()

    @property
    def category(self) -> TaxCategory:
        return tax_category(self.tax_type)

    @property
    def proofs(self) -> list[str]:
        return self.proof_documents.split()

    def origin_matches(self, country: str) -> bool:
        if not self.origin:
            return True
        if self.origin in ORIGIN_GROUPS:
            return country in ORIGIN_GROUPS[self.origin]
        return self.origin == country

    def overlap_group(self) -> tuple[Any, ...]:
        return (self.code_prefix, self.tax_type, self.origin, self.preference_code)

    def overlap_label(self) -> str:
        return str(
            _("This measure (%(code)s, tax type %(tax)s, origin %(origin)s)")
            % {"code": self.code_prefix, "tax": self.tax_type, "origin": self.origin or _("every origin")}
        )

    def same_group(self) -> models.QuerySet[Any]:
        return TariffMeasure.objects.filter(
            code_prefix=self.code_prefix,
            tax_type=self.tax_type,
            origin=self.origin,
            preference_code=self.preference_code,
        )

    def validate_rules(self) -> None:
        super().validate_rules()
        errors: dict[str, Any] = {}
        if self.kind in (MeasureKind.AD_VALOREM, MeasureKind.BOTH) and self.rate_percent is None:
            errors["rate_percent"] = _("An ad valorem measure needs its rate.")
        if self.kind in (MeasureKind.SPECIFIC, MeasureKind.BOTH):
            if self.specific_amount is None:
                errors["specific_amount"] = _("A specific measure needs its amount per unit.")
            if not self.unit:
                errors["unit"] = _("A specific measure needs its unit.")
        if self.rate_percent is not None and self.rate_percent < 0:
            errors["rate_percent"] = _("A rate is never negative.")
        if self.specific_amount is not None and self.specific_amount < 0:
            errors["specific_amount"] = _("An amount is never negative.")
        category = tax_category(self.tax_type or "A")
        if category is TaxCategory.VAT and not self.vat_rate:
            errors["vat_rate"] = _("Say whether this VAT rate is the standard, reduced or zero rate.")
        if category is not TaxCategory.VAT and self.vat_rate:
            errors["vat_rate"] = _("Only VAT measures (B..) have a VAT rate.")
        if self.proof_documents and not self.preference_code:
            errors["proof_documents"] = _("Proof of origin is only asked for a preference.")
        if errors:
            raise ValidationError(errors)


class ExchangeRate(_Period):
    """The administration's rate for a month (or any period): units of ``currency`` for one pound."""

    currency = models.CharField(_("currency"), max_length=3, validators=[CURRENCY_SHAPE])
    rate = models.DecimalField(
        _("units for 1 GBP"), max_digits=16, decimal_places=6, help_text=_("E.g. 1.1650 EUR for 1 GBP.")
    )
    source = models.CharField(_("source"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="exchangerate_period_ordered",
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchangerate_positive"),
            models.UniqueConstraint(fields=["currency", "valid_from"], name="exchangerate_unique_start"),
        ]

    def __str__(self) -> str:
        return f"1 GBP = {self.rate} {self.currency} from {self.valid_from}"

    def overlap_group(self) -> tuple[Any, ...]:
        return (self.currency,)

    def overlap_label(self) -> str:
        return str(_("This rate for %(currency)s") % {"currency": self.currency})

    def same_group(self) -> models.QuerySet[Any]:
        return ExchangeRate.objects.filter(currency=self.currency)

    def validate_rules(self) -> None:
        super().validate_rules()
        if self.rate is not None and self.rate <= 0:
            raise ValidationError({"rate": _("A rate is more than zero.")})
        if self.currency == home_currency():
            raise ValidationError(
                {"currency": _("Amounts in the administration's currency are not converted.")}
            )


class FeeRule(_Period):
    """What an agency charges for its review: per declaration, or per goods item routed to it."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="fee_rules")
    basis = models.CharField(_("charged"), max_length=12, choices=FeeBasis.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(
        _("currency"), max_length=3, default=ADMINISTRATION_CURRENCY, validators=[CURRENCY_SHAPE]
    )
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("agency fee")
        verbose_name_plural = _("agency fees")
        ordering = ["agency__code", "basis", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="feerule_period_ordered",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="feerule_amount_not_negative"),
            models.UniqueConstraint(fields=["agency", "basis", "valid_from"], name="feerule_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.amount} {self.currency} {self.basis}"

    def overlap_group(self) -> tuple[Any, ...]:
        return (self.agency_id, self.basis)

    def overlap_label(self) -> str:
        return str(_("This fee of the agency"))

    def same_group(self) -> models.QuerySet[Any]:
        return FeeRule.objects.filter(agency_id=self.agency_id, basis=self.basis)

    def validate_rules(self) -> None:
        super().validate_rules()
        if self.amount is not None and self.amount < 0:
            raise ValidationError({"amount": _("A fee is never negative.")})
