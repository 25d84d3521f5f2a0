"""Assessment: the duties, taxes and fees of a declaration, item by item, each line explained.

``compute`` is the engine (reads the tariff, writes nothing); ``assess`` stores its result as the
declaration's current ``Assessment`` for the current version; ``declared_differences`` compares it
with what the trader declared (DE 4/3–4/5). The rules, in the order applied to each goods item:

1. **Customs value** (GBP): the item price (DE 4/14; without one, the statistical value DE 8/6),
   converted at the declaration's own rate (DE 4/15, units of the invoice currency for 1 GBP)
   when it gives one for that currency, else at the administration's rate in force on the day;
   plus the item's share of the freight when the delivery terms (DE 4/1) leave it out of the price
   (EXW, FCA, FAS, FOB, or none declared). Freight is shared by value: each share rounded down to
   the penny, the remainder to the last item, so the shares sum exactly to the freight.
2. **Customs duty** (A..): the measure of the longest commodity code prefix in force. The
   preferential rate applies only when the origin qualifies, the declared preference (DE 4/17)
   asks for it and one of the measure's proof documents (DE 2/3) is declared; otherwise the
   third-country rate, with the reason. No measure: duty 0, said so.
3. **Excise** (three-digit tax types) where a measure applies.
4. **VAT** (B..) on customs value + duty + excise of the item.
5. **Agency fees**: per declaration, or per goods item routed to the agency.

Rounding: each line's amount is rounded once, half up to the penny (``_money``); a VAT base adds
the rounded lines; the total is the sum of the rounded lines. Specific rates multiply the
quantity in the measure's unit (net mass DE 6/1 for mass units, supplementary units DE 6/2
otherwise). What cannot be computed (no quantity, no exchange rate) gives a line marked
``incomplete`` with the reason, never a guessed amount.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Q, prefetch_related_objects
from django.utils import timezone

from agencies.models import Agency, AgencyReview
from declarations.models import Declaration, DirectionChoice, GoodsItem, ItemTaxLine
from singlewindow.audit import audit_log

from .models.assessment import CHARGED, Assessment, AssessmentLine, LineCategory, RateKind, explain
from .models.tariff import (
    ADMINISTRATION_CURRENCY,
    FeeBasis,
    FeeRule,
    MeasureKind,
    TariffMeasure,
    TaxCategory,
)
from .money import home_currency, minor_units, quantize
from .tariff import UNIT_FAMILY, fee_rules_in_force, measures_for, measures_in_force, rates_in_force

ZERO = Decimal("0.00")
# Delivery terms (Incoterms, DE 4/1) whose price stops before the main carriage: freight is added.
FREIGHT_NOT_IN_PRICE = frozenset({"EXW", "FCA", "FAS", "FOB"})


def _money(amount: Decimal) -> Decimal:
    """Half up to the minor unit of the administration's currency (``payments.money``)."""
    return quantize(amount, home_currency())


def _plain(number: Decimal) -> str:
    """A rate or quantity without trailing zeros: 2.000 → "2", 12.50 → "12.5"."""
    text = format(number.normalize(), "f")
    return text


def _amount(amount: Decimal, currency: str) -> str:
    """An amount as a string with its currency's minor units (a price of 1000.000 shows 1000.00)."""
    return str(quantize(amount, currency or home_currency()))


def code_shown(code: str) -> str:
    """A commodity code as the tariff prints it: 8509 40 00."""
    if len(code) <= 4:
        return code
    rest = code[4:]
    return " ".join([code[:4], *[rest[i : i + 2] for i in range(0, len(rest), 2)]])


# The draft ---------------------------------------------------------------------------------------


@dataclass
class DraftLine:
    item_sequence: int | None
    category: LineCategory
    tax_type: str = ""
    agency: Agency | None = None
    base_amount: Decimal | None = None
    base_quantity: Decimal | None = None
    base_unit: str = ""
    kind: RateKind = RateKind.NONE
    rate_percent: Decimal | None = None
    specific_rate: Decimal | None = None
    amount: Decimal = ZERO
    parts: list[list[Any]] = field(default_factory=list)
    measure: TariffMeasure | None = None
    fee_rule: FeeRule | None = None
    declared_amount: Decimal | None = None
    incomplete: bool = False

    @property
    def explanation(self) -> str:
        return explain(self.parts)

    @property
    def agency_code(self) -> str:
        return self.agency.code if self.agency is not None else ""

    @property
    def is_charged(self) -> bool:
        return self.category in CHARGED


@dataclass
class Draft:
    """An assessment before it is stored: lines in order (per item: value, duty, excise, VAT; then
    fees), the day of the tariff, and what the trader declared per item and tax type."""

    on: date
    lines: list[DraftLine]
    declared: list[dict[str, Any]]
    currency: str = ADMINISTRATION_CURRENCY

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.is_charged), ZERO)

    def totals_by_tax_type(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in self.lines:
            if line.is_charged:
                totals[line.tax_type or "fee"] += line.amount
        return dict(totals)


# Reading the declaration ------------------------------------------------------------------------


def _tax_lines(item: GoodsItem) -> list[ItemTaxLine]:
    """The item's declared tax lines (DE 4/3–4/7): prefetched by ``assess``; none on an unsaved item."""
    return list(item.tax_lines.all()) if item.pk is not None else []


def _declared_tax(lines: Iterable[ItemTaxLine]) -> dict[str, Decimal]:
    """What the trader declared per tax type for the item (DE 4/4 assessed, else 4/5 payable)."""
    declared: dict[str, Decimal] = {}
    for line in lines:
        amount = line.assessed_amount if line.assessed_amount is not None else line.payable_amount
        if amount is None or not line.tax_type:
            continue
        declared[line.tax_type] = declared.get(line.tax_type, ZERO) + Decimal(amount)
    return declared


@dataclass
class _Context:
    on: date
    declared_rate: Decimal | None
    invoice_currency: str
    rates: dict[str, Any]
    home: str = ADMINISTRATION_CURRENCY

    def rate(self, currency: str) -> tuple[Decimal | None, str, dict[str, str]]:
        """Units of ``currency`` for 1 GBP, the sentence key saying whose rate, and its values;
        None when no rate applies (the key then says so)."""
        if self.declared_rate and self.invoice_currency in ("", currency):
            return self.declared_rate, "declared", {"rate": _plain(self.declared_rate), "currency": currency}
        rate = self.rates.get(currency)
        if rate is None:
            return None, "no_rate", {"currency": currency, "day": self.on.isoformat()}
        values = {"rate": _plain(rate.rate), "currency": currency, "valid_from": rate.valid_from.isoformat()}
        return rate.rate, "administration", values

    def to_gbp(
        self, amount: Decimal, currency: str, *, key: str = "value"
    ) -> tuple[Decimal | None, list[list[Any]]]:
        """``amount`` in GBP, rounded, with the sentence saying how; None when no rate applies."""
        currency = currency or self.home
        if currency == self.home:
            return _money(amount), []
        rate, whose, values = self.rate(currency)
        if rate is None:
            return None, [[f"{key}_no_rate" if key == "value" else "rate_no_rate", values]]
        converted = _money(amount / rate)
        if key == "value":
            return converted, [[f"value_converted_{whose}", {**values, "converted": str(converted)}]]
        return converted, [[f"rate_{whose}", values]]


def apportion(
    total: Decimal, weights: Sequence[Decimal], currency: str = ADMINISTRATION_CURRENCY
) -> list[Decimal]:
    """``total`` shared by ``weights``: each share rounded down to the minor unit, the remainder to
    the last, so the shares sum to ``total`` exactly and none is negative (equal shares without
    weight)."""
    unit = Decimal(1).scaleb(-minor_units(currency))
    if not weights:
        return []
    weights = [max(w, ZERO) for w in weights]
    whole = sum(weights, ZERO)
    if whole == 0:
        weights = [Decimal(1)] * len(weights)
        whole = Decimal(len(weights))
    shares = [(total * w / whole).quantize(unit, rounding=ROUND_DOWN) for w in weights[:-1]]
    return [*shares, total - sum(shares, ZERO)]


def _quantity(item: GoodsItem, unit: str, declared: Sequence[ItemTaxLine] = ()) -> Decimal | None:
    """The item's quantity in ``unit``: a tax base the trader declared in that unit (DE 4/6, e.g.
    litres of pure alcohol), else the net mass for mass units, else the supplementary units
    (declared in the tariff's unit when DE 6/2 names none; litres of alcohol must be named)."""
    for line in declared:
        if line.base_unit.upper() == unit and line.base_quantity is not None:
            return Decimal(line.base_quantity)
    family, factor = UNIT_FAMILY[unit]
    if family == "mass":
        return None if item.net_mass is None else Decimal(item.net_mass) / factor
    if item.quantity is None:
        return None
    stated = (item.quantity_unit or "").upper()
    if not stated:
        return None if family == "alcohol" else Decimal(item.quantity) / factor
    if stated not in UNIT_FAMILY or UNIT_FAMILY[stated][0] != family:
        return None
    return Decimal(item.quantity) * UNIT_FAMILY[stated][1] / factor


def _best(measures: Iterable[TariffMeasure]) -> dict[str, TariffMeasure]:
    """Per tax type: the longest prefix, a measure naming the origin before one for every origin."""
    chosen: dict[str, TariffMeasure] = {}
    for m in sorted(measures, key=lambda m: (-len(m.code_prefix), m.origin == "", m.pk or 0)):
        chosen.setdefault(m.tax_type, m)
    return chosen


def _source(measure: TariffMeasure) -> dict[str, str]:
    return {
        "source": measure.source,
        "code": code_shown(measure.code_prefix),
        "valid_from": measure.valid_from.isoformat(),
    }


def _apply(
    measure: TariffMeasure,
    *,
    item: GoodsItem,
    base: Decimal | None,
    ctx: _Context,
    declared: Sequence[ItemTaxLine] = (),
) -> DraftLine:
    """One measure on one item: the line, amount rounded, explained (not yet with preferences)."""
    category = measure.category
    line_category = {
        TaxCategory.DUTY: LineCategory.DUTY,
        TaxCategory.EXCISE: LineCategory.EXCISE,
        TaxCategory.VAT: LineCategory.VAT,
    }[category]
    line = DraftLine(
        item_sequence=item.sequence,
        category=line_category,
        tax_type=measure.tax_type,
        measure=measure,
        kind=RateKind(measure.kind),
    )
    raw = Decimal(0)
    values: dict[str, Any] = {**_source(measure), "tax_type": measure.tax_type}
    if measure.kind in (MeasureKind.AD_VALOREM, MeasureKind.BOTH):
        assert measure.rate_percent is not None
        line.rate_percent = measure.rate_percent
        line.base_amount = base
        values["rate"] = _plain(measure.rate_percent)
        values["base"] = str(base if base is not None else ZERO)
        if base is None:
            line.incomplete = True
        else:
            raw += base * measure.rate_percent / 100
    if measure.kind in (MeasureKind.SPECIFIC, MeasureKind.BOTH):
        assert measure.specific_amount is not None
        quantity = _quantity(item, measure.unit, declared)
        line.specific_rate = measure.specific_amount
        line.base_unit = measure.unit
        line.base_quantity = quantity
        currency = measure.specific_currency or ctx.home
        values.update(
            amount=_plain(measure.specific_amount),
            currency=currency,
            unit=measure.unit,
            quantity=_plain(quantity) if quantity is not None else "0",
        )
        # A specific amount in another currency converts at the full rate, rounded once at the end.
        per_unit: Decimal | None = measure.specific_amount
        if currency != ctx.home:
            rate, whose, rate_values = ctx.rate(currency)
            per_unit = None if rate is None else measure.specific_amount / rate
            line.parts.append([f"rate_{whose}", rate_values])
        if quantity is None or per_unit is None:
            line.incomplete = True
            if quantity is None:
                line.parts.insert(0, ["quantity_missing", {**values, "category": line_category.value}])
            if measure.kind == MeasureKind.BOTH and category is not TaxCategory.VAT:
                # The ad valorem part stands; only the specific part waits for customs.
                prefix = "duty" if category is TaxCategory.DUTY else "excise"
                line.parts.insert(0, [f"{prefix}_ad_valorem", values])
            line.amount = _money(raw)
            return line
        raw += quantity * per_unit
    line.amount = _money(raw)
    key = {
        MeasureKind.AD_VALOREM: "ad_valorem",
        MeasureKind.SPECIFIC: "specific",
        MeasureKind.BOTH: "both",
    }[MeasureKind(measure.kind)]
    if category is TaxCategory.VAT:
        line.parts.insert(0, ["vat", {**values, "vat_rate": measure.vat_rate}])
    else:
        prefix = "duty" if category is TaxCategory.DUTY else "excise"
        line.parts.insert(0, [f"{prefix}_{key}", values])
    return line


def _duty_lines(
    item: GoodsItem,
    measures: list[TariffMeasure],
    *,
    value: Decimal | None,
    documents: set[str],
    ctx: _Context,
    declared: Sequence[ItemTaxLine] = (),
) -> list[DraftLine]:
    origin = item.origin_country
    claimed = item.preference.strip()
    claims = bool(claimed) and not claimed.startswith("1")
    duty = measures_for(measures, code=item.commodity_code, category=TaxCategory.DUTY)
    third = _best(m for m in duty if not m.preference_code and m.origin_matches(origin))
    offered = [m for m in duty if m.preference_code and m.origin and m.origin_matches(origin)]
    preferential = _best(m for m in offered if m.preference_code == claimed)
    lines = []
    for tax_type in sorted(set(third) | set(preferential)):
        base_measure = third.get(tax_type)
        pref = preferential.get(tax_type)
        note: list[Any] | None = None
        chosen = base_measure
        if claims and pref is not None:
            proof = next((code for code in pref.proofs if code in documents), None)
            if proof is not None or not pref.proofs:
                chosen = pref
                note = [
                    "preference_given",
                    {"preference": claimed, "origin": origin, "proof": proof or "—"},
                ]
            else:
                note = ["preference_no_proof", {"preference": claimed, "proofs": ", ".join(pref.proofs)}]
        elif claims:
            note = [
                "preference_no_measure",
                {"claimed": claimed, "code": item.commodity_code, "origin": origin},
            ]
        elif any(m.tax_type == tax_type for m in offered):
            best_offer = _best(m for m in offered if m.tax_type == tax_type)[tax_type]
            note = [
                "preference_not_claimed",
                {"origin": origin, "preference": best_offer.preference_code, "claimed": claimed or "—"},
            ]
        if chosen is None:
            line = DraftLine(
                item_sequence=item.sequence,
                category=LineCategory.DUTY,
                tax_type=tax_type,
                base_amount=value,
                parts=[["no_duty_measure", {"code": item.commodity_code, "day": ctx.on.isoformat()}]],
            )
        else:
            line = _apply(chosen, item=item, base=value, ctx=ctx, declared=declared)
        if note is not None:
            line.parts.append(note)
        lines.append(line)
    if not lines:
        lines.append(
            DraftLine(
                item_sequence=item.sequence,
                category=LineCategory.DUTY,
                tax_type="A00",
                base_amount=value,
                parts=[["no_duty_measure", {"code": item.commodity_code or "—", "day": ctx.on.isoformat()}]],
            )
        )
    return lines


def compute(
    declaration: Declaration,
    *,
    items: Sequence[GoodsItem],
    agencies: Mapping[Agency, Collection[int]],
    on: date,
) -> Draft:
    """The assessment of ``declaration`` with these goods items on the tariff of ``on``; writes nothing.

    ``agencies`` maps each reviewing agency to the sequence numbers of the items routed to it (see
    ``reviewing_agencies``). Queries: the documents (unless prefetched), the measures, the exchange
    rates and the fee rules, one each.
    """
    items = sorted(items, key=lambda i: i.sequence)
    documents: dict[int | None, set[str]] = defaultdict(set)
    for doc in declaration.documents.all():
        documents[doc.item_id].add(doc.code)
    fee_rules = fee_rules_in_force((a.pk for a in agencies), on=on)
    freight_amount = declaration.freight_amount
    freight_currency = declaration.freight_currency or declaration.invoice_currency
    currencies = {i.value_currency for i in items} | {i.statistical_currency for i in items}
    currencies |= {freight_currency or ""} | {r.currency for r in fee_rules.values()}
    measures = measures_in_force((i.commodity_code for i in items if i.commodity_code), on=on)
    currencies |= {m.specific_currency for m in measures}
    ctx = _Context(
        on=on,
        declared_rate=declaration.exchange_rate or None,
        invoice_currency=declaration.invoice_currency or "",
        rates=rates_in_force(currencies, on=on),
        home=home_currency(),
    )
    lines: list[DraftLine] = []
    declared_rows: list[dict[str, Any]] = []
    importing = declaration.direction != DirectionChoice.EXPORT

    # 1. Customs value of each item, then the freight shared by value.
    values: list[Decimal | None] = []
    value_lines: list[DraftLine] = []
    for item in items:
        line = DraftLine(item_sequence=item.sequence, category=LineCategory.VALUE, kind=RateKind.NONE)
        if item.value_amount is not None:
            price, currency = Decimal(item.value_amount), item.value_currency
            line.parts.append(
                ["value_price", {"amount": _amount(price, currency), "currency": currency or ctx.home}]
            )
        elif item.statistical_value is not None:
            price, currency = Decimal(item.statistical_value), item.statistical_currency
            line.parts.append(
                ["value_statistical", {"amount": _amount(price, currency), "currency": currency or ctx.home}]
            )
        else:
            line.parts.append(["value_missing", {}])
            line.incomplete = True
            values.append(None)
            value_lines.append(line)
            continue
        converted, how = ctx.to_gbp(price, currency)
        line.parts.extend(how)
        line.incomplete = converted is None
        values.append(converted)
        value_lines.append(line)
    if freight_amount and importing and items:
        terms = (declaration.delivery_terms or "").upper()
        if terms and terms not in FREIGHT_NOT_IN_PRICE:
            for line in value_lines:
                line.parts.append(["freight_included", {"terms": terms}])
        else:
            freight, how = ctx.to_gbp(Decimal(freight_amount), freight_currency or "")
            if freight is None:
                for line in value_lines:
                    line.parts.extend(how)
                    line.incomplete = True
            else:
                shares = apportion(freight, [v or ZERO for v in values], ctx.home)
                for index, (line, share) in enumerate(zip(value_lines, shares, strict=True)):
                    line.parts.append(
                        [
                            "freight_added",
                            {"share": str(share), "freight": str(freight), "terms": terms or "—"},
                        ]
                    )
                    if values[index] is not None:
                        values[index] = values[index] + share  # type: ignore[operator]
    for line, value in zip(value_lines, values, strict=True):
        line.base_amount = value
        line.amount = value if value is not None else ZERO
        line.parts.append(["value_total", {"value": str(line.amount)}])

    # 2–4. Duty, excise and VAT of each item.
    for item, value, value_line in zip(items, values, value_lines, strict=True):
        tax_lines = _tax_lines(item)
        declared = _declared_tax(tax_lines)
        for tax_type, amount in sorted(declared.items()):
            declared_rows.append({"item": item.sequence, "tax_type": tax_type, "amount": str(_money(amount))})
        if not importing:
            continue
        lines.append(value_line)
        item_documents = documents.get(item.pk, set()) | documents.get(None, set())
        item_lines = _duty_lines(
            item, measures, value=value, documents=item_documents, ctx=ctx, declared=tax_lines
        )
        duty_total = sum((line.amount for line in item_lines), ZERO)
        excise = _best(
            m
            for m in measures_for(measures, code=item.commodity_code, category=TaxCategory.EXCISE)
            if m.origin_matches(item.origin_country)
        )
        excise_lines = [
            _apply(m, item=item, base=value, ctx=ctx, declared=tax_lines) for _t, m in sorted(excise.items())
        ]
        excise_total = sum((line.amount for line in excise_lines), ZERO)
        item_lines += excise_lines
        vat = _best(
            m
            for m in measures_for(measures, code=item.commodity_code, category=TaxCategory.VAT)
            if m.origin_matches(item.origin_country)
        )
        vat_base = None if value is None else value + duty_total + excise_total
        for _tax_type, measure in sorted(vat.items()):
            line = _apply(measure, item=item, base=vat_base, ctx=ctx, declared=tax_lines)
            line.parts[0][1].update(
                value=str(value if value is not None else ZERO),
                duty=str(duty_total),
                excise=str(excise_total),
            )
            line.incomplete = (
                line.incomplete or any(li.incomplete for li in item_lines) or value_line.incomplete
            )
            item_lines.append(line)
        if not vat:
            item_lines.append(
                DraftLine(
                    item_sequence=item.sequence,
                    category=LineCategory.VAT,
                    tax_type="B00",
                    base_amount=vat_base,
                    parts=[["no_vat_measure", {"code": item.commodity_code or "—", "day": on.isoformat()}]],
                    incomplete=True,
                )
            )
        seen: set[str] = set()
        for line in item_lines:
            if line.tax_type in declared and line.tax_type not in seen:
                line.declared_amount = _money(declared[line.tax_type])
                seen.add(line.tax_type)
        lines += item_lines

    # 5. Agency fees.
    sequences = {item.sequence for item in items}
    for agency in sorted(agencies, key=lambda a: a.code):
        routed = sorted(s for s in agencies[agency] if s in sequences)
        rule = fee_rules.get((agency.pk, FeeBasis.DECLARATION))
        if rule is not None:
            lines.append(_fee_line(rule, agency=agency, item_sequence=None, ctx=ctx))
        rule = fee_rules.get((agency.pk, FeeBasis.ITEM))
        if rule is not None:
            lines += [_fee_line(rule, agency=agency, item_sequence=s, ctx=ctx) for s in routed]
    return Draft(on=on, lines=lines, declared=declared_rows, currency=ctx.home)


def _fee_line(rule: FeeRule, *, agency: Agency, item_sequence: int | None, ctx: _Context) -> DraftLine:
    amount, how = ctx.to_gbp(Decimal(rule.amount), rule.currency, key="fee")
    key = "fee_declaration" if item_sequence is None else "fee_item"
    values = {
        "agency": agency.name,
        "amount": str(rule.amount),
        "currency": rule.currency,
        "valid_from": rule.valid_from.isoformat(),
    }
    return DraftLine(
        item_sequence=item_sequence,
        category=LineCategory.FEE,
        agency=agency,
        kind=RateKind.FLAT,
        specific_rate=Decimal(rule.amount),
        amount=amount if amount is not None else ZERO,
        parts=[[key, values], *how],
        fee_rule=rule,
        incomplete=amount is None,
    )


def reviewing_agencies(declaration: Declaration) -> dict[Agency, list[int]]:
    """Each agency reviewing the declaration (reviews not withdrawn) with the item sequences routed
    to it: what ``assess`` charges fees for. Two queries."""
    reviews = (
        AgencyReview.objects.filter(declaration=declaration, withdrawn_at__isnull=True)
        .select_related("agency")
        .prefetch_related("items")
    )
    return {r.agency: sorted(i.sequence for i in r.items.all()) for r in reviews}


# Persistence -------------------------------------------------------------------------------------


def _difference_by_code(new: dict[str, Decimal], previous: Assessment | None) -> dict[str, Decimal]:
    old = previous.amounts_by_code() if previous is not None else {}
    changes = {code: new.get(code, ZERO) - old.get(code, ZERO) for code in sorted(set(new) | set(old))}
    return {code: amount for code, amount in changes.items() if amount}


@dataclass(frozen=True)
class AssessmentResult:
    assessment: Assessment
    previous: Assessment | None
    # What changed for the trader: the new total less the previous one (the whole total the first
    # time), and the same per revenue code (tax type, FEE:<agency>) as the ledger posts it.
    difference: Decimal
    created: bool
    difference_by_code: dict[str, Decimal] = field(default_factory=dict)
    # What the assessment charges per revenue code (read from the lines already at hand).
    charged_by_code: dict[str, Decimal] = field(default_factory=dict)


def acceptance_day(declaration: Declaration) -> date:
    """The day whose tariff applies: the declaration's acceptance (an amendment keeps it)."""
    moment = declaration.accepted_at or timezone.now()
    return timezone.localdate(moment)


def _items_for_assessment(declaration: Declaration) -> list[GoodsItem]:
    return list(
        GoodsItem.objects.filter(declaration=declaration).order_by("sequence").prefetch_related("tax_lines")
    )


@transaction.atomic(savepoint=False)
def assess(
    declaration: Declaration,
    *,
    agencies: Mapping[Agency, Collection[int]],
    locked: bool = False,
    items: Sequence[GoodsItem] | None = None,
) -> AssessmentResult:
    """Store the assessment of the declaration's current version and make it the current one.

    Idempotent: the version already assessed returns the stored assessment (``created`` False).
    Otherwise the previous current assessment stops being current, the new one ``supersedes`` it,
    and the result carries the difference of the totals. Audit event ``payments.assessment.created``.
    Locks the declaration row so two assessments of one declaration run one after the other.

    ``locked``: ``declaration`` was read under ``select_for_update`` in the caller's transaction,
    which still holds the lock (routing): it is used as it is, not read and locked again. ``items``:
    its goods items as the caller loaded them (their tax lines are read here unless prefetched);
    its documents are used where the caller prefetched them.
    """
    if locked:
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("assess(locked=True) needs the caller's transaction holding the lock")
        locked_row = declaration
    else:
        locked_row = Declaration.objects.select_for_update().get(pk=declaration.pk)
    return _assess_locked(locked_row, agencies=agencies, items=items)


def _assess_locked(
    locked: Declaration, *, agencies: Mapping[Agency, Collection[int]], items: Sequence[GoodsItem] | None
) -> AssessmentResult:
    # The version's assessment and the current one in one query: the second matters only when the
    # first is missing (a new assessment supersedes the current one).
    found = list(
        Assessment.objects.filter(Q(version=locked.version) | Q(is_current=True), declaration=locked)
    )
    existing = next((a for a in found if a.version == locked.version), None)
    if existing is not None:
        previous = existing.supersedes
        charged = existing.amounts_by_code()
        return AssessmentResult(
            assessment=existing,
            previous=previous,
            difference=existing.total - (previous.total if previous else ZERO),
            created=False,
            difference_by_code=_difference_by_code(charged, previous),
            charged_by_code=charged,
        )
    prefetch_related_objects([locked], "documents")  # one query, not one per item (none if prefetched)
    if items is None:
        items = _items_for_assessment(locked)
    else:
        prefetch_related_objects(list(items), "tax_lines")  # none if the caller prefetched them
    draft = compute(locked, items=items, agencies=agencies, on=acceptance_day(locked))
    previous = next((a for a in found if a.is_current), None)
    if previous is not None:
        Assessment.objects.filter(pk=previous.pk).update(is_current=False)
    assessment = Assessment.objects.create(
        declaration=locked,
        version=locked.version,
        currency=draft.currency,
        total=draft.total,
        assessed_on=draft.on,
        declared=draft.declared,
        supersedes=previous,
        is_current=True,
    )
    lines = AssessmentLine.objects.bulk_create(
        AssessmentLine(
            assessment=assessment,
            position=position,
            item_sequence=line.item_sequence,
            category=line.category,
            tax_type=line.tax_type,
            agency=line.agency,
            agency_code=line.agency_code,
            base_amount=line.base_amount,
            base_quantity=line.base_quantity,
            base_unit=line.base_unit,
            kind=line.kind,
            rate_percent=line.rate_percent,
            specific_rate=line.specific_rate,
            amount=line.amount,
            explanation_parts=line.parts,
            measure=line.measure,
            fee_rule=line.fee_rule,
            declared_amount=line.declared_amount,
            incomplete=line.incomplete,
        )
        for position, line in enumerate(draft.lines, start=1)
    )
    difference = assessment.total - (previous.total if previous else ZERO)
    audit_log(
        action="payments.assessment.created",
        obj=assessment,
        actor=None,
        data={
            "declaration": locked.mrn,
            "version": locked.version,
            "total": str(assessment.total),
            "difference": str(difference),
            "supersedes": previous.pk if previous else None,
        },
    )
    charged = assessment.amounts_by_code(lines)
    return AssessmentResult(
        assessment=assessment,
        previous=previous,
        difference=difference,
        created=True,
        difference_by_code=_difference_by_code(charged, previous),
        charged_by_code=charged,
    )


class Difference(NamedTuple):
    """(item, tax type, declared, assessed): a tuple, with names."""

    item_sequence: int
    tax_type: str
    declared: Decimal
    assessed: Decimal

    @property
    def delta(self) -> Decimal:
        return self.assessed - self.declared


def declared_differences(
    assessment: Assessment, lines: Sequence[AssessmentLine] | None = None
) -> list[Difference]:
    """Where the trader's declared amount (DE 4/4) differs from the portal's, per item and tax type:
    shown to the trader and the officer, never replacing either. ``lines`` when already loaded."""
    if lines is None:
        lines = list(assessment.lines.all())
    assessed: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        if line.item_sequence is not None and line.is_charged and line.tax_type:
            assessed[(line.item_sequence, line.tax_type)] += line.amount
    declared: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    for row in assessment.declared:
        declared[(int(row["item"]), str(row["tax_type"]))] += Decimal(row["amount"])
    return [
        Difference(item_sequence=seq, tax_type=tax_type, declared=amount, assessed=assessed[(seq, tax_type)])
        for (seq, tax_type), amount in sorted(declared.items())
        if amount != assessed[(seq, tax_type)]
    ]
